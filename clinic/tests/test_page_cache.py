"""The public page cache: hits skip the view, publishing purges, nothing user-specific is stored."""

import os
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from wagtail.models import Page

from caching.purge import purge_page_cache
from pages.models import ConditionPage


def count_serves():
    return mock.patch.object(ConditionPage, "serve", autospec=True, side_effect=ConditionPage.serve)


@pytest.mark.django_db
def test_a_cache_hit_skips_the_view(client, demo_content):
    with count_serves() as serve:
        first = client.get("/sciatica/")
        second = client.get("/sciatica/")
    assert serve.call_count == 1
    assert first["X-Page-Cache"] == "miss" and second["X-Page-Cache"] == "hit"
    assert first.content == second.content


@pytest.mark.django_db
def test_public_pages_are_public_with_max_age_and_do_not_vary_on_cookie(client, demo_content):
    response = client.get("/sciatica/")
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "public" in directives
    assert f"max-age={settings.PAGE_CACHE_SECONDS}" in directives
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


@pytest.mark.django_db
def test_publishing_purges_the_cache(client, demo_content):
    assert b"Sciatica" in client.get("/sciatica/").content
    page = ConditionPage.objects.get(slug="sciatica")
    page.title = "Sciatica, revised"
    page.save_revision().publish()
    response = client.get("/sciatica/")
    assert response["X-Page-Cache"] == "miss"
    assert b"Sciatica, revised" in response.content


@pytest.mark.django_db
def test_a_draft_does_not_purge_and_is_not_shown(client, demo_content):
    client.get("/sciatica/")
    page = ConditionPage.objects.get(slug="sciatica")
    page.title = "Draft title"
    page.save_revision()
    response = client.get("/sciatica/")
    assert response["X-Page-Cache"] == "hit"
    assert b"Draft title" not in response.content


@pytest.mark.django_db
def test_requests_with_a_session_are_never_stored_nor_marked_public(client, demo_content):
    client.cookies[settings.SESSION_COOKIE_NAME] = "some-session"
    for path in ("/", "/sciatica/", "/robots.txt", "/sitemap.xml"):
        response = client.get(path)
        cache_control = response.get("Cache-Control", "")
        assert "public" not in cache_control, path
        assert "private" in cache_control, path
        assert "X-Page-Cache" not in response, path
    del client.cookies[settings.SESSION_COOKIE_NAME]
    assert client.get("/sciatica/")["X-Page-Cache"] == "miss"  # nothing was stored for the session


@pytest.mark.django_db
def test_a_staff_page_with_the_user_bar_is_private_and_not_served_to_others(client, demo_content, django_user_model):
    staff = django_user_model.objects.create_superuser("staff", "staff@clinic.example", "a-long-test-password")
    client.force_login(staff)
    response = client.get("/sciatica/")
    assert b"wagtail-userbar" in response.content
    assert "private" in response["Cache-Control"]
    client.logout()
    client.cookies.pop(settings.SESSION_COOKIE_NAME, None)
    anonymous = client.get("/sciatica/")
    assert b"wagtail-userbar" not in anonymous.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/", "/members/", "/appointments/", "/sciatica/?q=1"])
def test_excluded_paths_and_query_strings_are_not_stored(client, demo_content, path):
    client.get(path)
    assert "X-Page-Cache" not in client.get(path)


@pytest.mark.django_db
def test_errors_and_posts_are_not_stored(client, demo_content):
    assert client.get("/no-such-page/").status_code == 404
    assert "X-Page-Cache" not in client.get("/no-such-page/")
    client.post("/sciatica/")
    assert client.get("/sciatica/")["X-Page-Cache"] == "miss"


@pytest.mark.django_db
def test_editing_clinic_settings_or_notes_purges(client, demo_content):
    from pages.models import ClinicSettings, Notice

    client.get("/sciatica/")
    clinic = ClinicSettings.objects.get()
    clinic.phone = "+44 20 0000 1111"
    clinic.save()
    assert b"+44 20 0000 1111" in client.get("/sciatica/").content
    notes = Notice.objects.get()
    notes.title = "Notes, revised"
    notes.save()
    assert b"Notes, revised" in client.get("/sciatica/").content


@pytest.mark.django_db
def test_unpublishing_purges(client, demo_content):
    client.get("/privacy/")
    Page.objects.get(slug="privacy").unpublish()
    assert client.get("/privacy/").status_code == 404


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI's second run)")
def test_purge_on_redis_keeps_sessions_and_other_caches():
    """Django's clear() on Redis is FLUSHDB, which would log every user out."""
    default, pages = caches["default"], caches[settings.PAGE_CACHE_ALIAS]
    default.set("throttle:someone", 3)
    pages.set("a-page", "html")
    purge_page_cache()
    assert pages.get("a-page") is None
    assert default.get("throttle:someone") == 3


@override_settings(
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "d"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "p"},
    }
)
def test_purge_clears_only_the_page_cache_in_memory():
    caches["default"].set("kept", 1)
    caches["pages"].set("gone", 1)
    purge_page_cache()
    assert caches["pages"].get("gone") is None
    assert caches["default"].get("kept") == 1
