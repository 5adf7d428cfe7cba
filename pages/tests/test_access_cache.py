"""The uncached page's access checks (Wagtail's view restrictions, the members gate) and the
route, site, settings and fragments are kept in process memory per page cache generation: every
change that affects who may see a page must hold on the very next request, with the cache warm."""

from unittest import mock

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from caching import entries
from caching.purge import purge_page_cache
from caching.tokens import page_generation
from members.models import is_members_page
from pages.models import ConditionPage

UNCACHED = "/sciatica/?fresh=1"


def warm(client, path=UNCACHED):
    """Two requests: the second must be served from memory alone (no query at all)."""
    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    assert queries.captured_queries == []


@pytest.mark.django_db
@pytest.mark.parametrize("on_home", [False, True], ids=["the page", "an ancestor"])
def test_a_login_restriction_added_with_a_warm_cache_is_enforced_at_once(client, demo_content, on_home):
    warm(client)
    page = Page.objects.get(slug="sciatica")
    PageViewRestriction.objects.create(
        page=page.get_parent() if on_home else page, restriction_type=PageViewRestriction.LOGIN
    )
    response = client.get(UNCACHED)
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_a_password_restriction_shows_the_form_and_its_removal_reopens_the_page(client, demo_content):
    warm(client)
    restriction = PageViewRestriction.objects.create(
        page=Page.objects.get(slug="sciatica"), restriction_type=PageViewRestriction.PASSWORD, password="a-password"
    )
    refused = client.get(UNCACHED)
    assert b'name="password"' in refused.content
    assert b"sciatic nerve" not in refused.content.lower()
    restriction.delete()
    reopened = client.get(UNCACHED)
    assert reopened.status_code == 200 and b'name="password"' not in reopened.content


@pytest.mark.django_db
def test_a_groups_restriction_whose_groups_change_is_purged(client, demo_content):
    from django.contrib.auth.models import Group

    restriction = PageViewRestriction.objects.create(
        page=Page.objects.get(slug="sciatica"), restriction_type=PageViewRestriction.GROUPS
    )
    client.get(UNCACHED)
    generation = page_generation.current()
    restriction.groups.add(Group.objects.create(name="Readers"))
    assert page_generation.current() != generation


@pytest.mark.django_db
def test_a_page_moved_under_the_members_area_is_gated_at_once(client, demo_content):
    warm(client)
    page = Page.objects.get(slug="sciatica")
    assert not is_members_page(page)
    page.move(Page.objects.get(slug="members"), pos="last-child")
    moved = Page.objects.get(pk=page.pk)
    assert is_members_page(moved)
    old_address = client.get(UNCACHED)  # Wagtail's redirect to the new address, not the article
    assert old_address.status_code == 301 and old_address["Location"] == "/members/sciatica/"
    gated = client.get("/members/sciatica/?fresh=1")
    assert gated.status_code == 403
    assert b'action="/members/-/enter/"' in gated.content
    assert b"Sciatica" not in gated.content.split(b"<main")[-1]


@pytest.mark.django_db
def test_a_new_members_area_purges_the_members_check(client, demo_content):
    from members.models import MembersAreaPage

    warm(client)
    generation = page_generation.current()
    Page.objects.get(slug="sciatica").get_parent().add_child(instance=MembersAreaPage(title="More", slug="more"))
    assert page_generation.current() != generation


@pytest.mark.django_db
def test_a_purge_by_another_process_is_seen_on_the_next_request(client, demo_content):
    """Another worker's purge clears the shared alias and writes a new generation; this process
    must drop its memory copy at once rather than serve what it held."""
    warm(client)
    ConditionPage.objects.filter(slug="sciatica").update(title="Renamed elsewhere")  # no signal here
    assert b"Renamed elsewhere" not in client.get(UNCACHED).content  # still the copy in memory
    caches["pages"].clear()
    caches["pages"].set(page_generation.key, "another-process")
    assert b"Renamed elsewhere" in client.get(UNCACHED).content


@pytest.mark.django_db
def test_without_a_readable_generation_nothing_comes_from_memory(client, demo_content):
    """With the shared cache unreadable (Redis down, failing open) the access checks query again."""
    warm(client)
    page = Page.objects.get(slug="sciatica")
    with mock.patch.object(page_generation, "current", return_value=None):
        # bulk_create sends no signal: only a fresh check can see this restriction.
        PageViewRestriction.objects.bulk_create([PageViewRestriction(page=page, restriction_type="login")])
        response = client.get(UNCACHED)
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_purge_inside_a_transaction_purges_again_at_commit(django_capture_on_commit_callbacks):
    """Wagtail sends page_published inside the admin's transaction: a request between the
    signal and the commit may cache the old content, so the purge is repeated at commit."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        purge_page_cache()
        caches["pages"].set("written-before-the-commit", "old")
    assert len(callbacks) == 1
    assert caches["pages"].get("written-before-the-commit") is None


@pytest.mark.django_db
def test_admin_callers_still_get_a_queryset_of_the_same_restrictions(demo_content):
    page = ConditionPage.objects.get(slug="sciatica")
    restriction = PageViewRestriction.objects.create(page=page.get_parent(), restriction_type="login")
    token = entries._request_generation.set(page_generation.current())
    try:
        page.get_view_restrictions()  # fills the memory copy
        cached = page.get_view_restrictions()
        with CaptureQueriesContext(connection) as queries:
            assert list(cached) == [restriction]
            assert cached.exists()
        assert queries.captured_queries == []
        assert list(cached.order_by("-page__depth")) == [restriction]  # a fresh query
    finally:
        entries._request_generation.reset(token)
