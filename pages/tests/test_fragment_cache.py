"""Rendered fragments (article body, Important Notes, footer), clinic settings, site and menu
are cached for the uncached page path; every change staff make must show on the next request,
and a preview must render the draft."""

import datetime
import os

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site
from wagtail.rich_text import RichText

from pages.fragments import fragment_key
from pages.models import ClinicSettings, ConditionPage, Notice, OpeningHours

# A query string bypasses the whole-page cache, so these requests always reach the view.
UNCACHED = "/sciatica/?fresh=1"


def fragment_keys() -> list:
    cache = caches["pages"]
    if isinstance(cache, RedisCache):  # CI's second run
        return list(cache._cache.get_client().scan_iter(match=cache.make_key("fragment:*")))
    return [key for key in cache._cache if ":fragment:" in key]


def add_paragraph(page: ConditionPage, text: str) -> None:
    page.body.insert(0, ("paragraph", RichText(f"<p>{text}</p>")))


@pytest.mark.django_db
def test_the_second_uncached_request_renders_the_body_from_the_fragment_cache(client, demo_content):
    first = client.get(UNCACHED)
    names = sorted(str(key).split(":fragment:")[1].split(":")[0] for key in fragment_keys())
    assert names == ["article", "article-body", "footer", "head", "header", "important-notes"]
    with CaptureQueriesContext(connection) as queries:
        second = client.get(UNCACHED)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    sql = "\n".join(query["sql"] for query in queries.captured_queries)
    for table in (
        "pages_clinicsettings",
        "pages_notice",
        "pages_openinghours",
        "wagtailimages_image",
        "wagtailcore_site",
    ):
        assert table not in sql


@pytest.mark.django_db
def test_the_uncached_page_runs_no_query_once_warm(client, demo_content, django_assert_num_queries):
    client.get(UNCACHED)
    # The access checks too come from the page cache (pages/tests/test_access_cache.py).
    with django_assert_num_queries(0):
        assert client.get(UNCACHED).status_code == 200


@pytest.mark.django_db
def test_a_publish_shows_at_once(client, demo_content):
    client.get(UNCACHED)
    page = ConditionPage.objects.get(slug="sciatica")
    add_paragraph(page, "Freshly published words")
    page.save_revision().publish()
    assert b"Freshly published words" in client.get(UNCACHED).content


@pytest.mark.django_db
def test_a_draft_is_not_shown_to_the_public(client, demo_content):
    client.get(UNCACHED)
    page = ConditionPage.objects.get(slug="sciatica")
    add_paragraph(page, "Words still in draft")
    page.save_revision()
    assert b"Words still in draft" not in client.get(UNCACHED).content


@pytest.mark.django_db
def test_a_preview_renders_the_draft_never_the_cached_published_body(client, demo_content):
    client.get(UNCACHED)
    page = ConditionPage.objects.get(slug="sciatica")
    add_paragraph(page, "Words still in draft")
    page.save_revision()
    draft = ConditionPage.objects.get(pk=page.pk).get_latest_revision_as_object()
    preview = draft.make_preview_request()
    preview.render()
    assert b"Words still in draft" in preview.content
    # ...and the preview left nothing behind for the public.
    assert b"Words still in draft" not in client.get(UNCACHED).content


@pytest.mark.django_db
def test_a_new_emergency_number_shows_in_the_care_card_and_footer(client, demo_content):
    page = ConditionPage.objects.get(slug="sciatica")
    card = {"urgency": "emergency", "heading": "Call {emergency_number} now", "items": ["a sign"]}
    page.body.insert(0, ("care_card", card))
    page.save_revision().publish()
    assert b"Call 999 now" in client.get(UNCACHED).content
    clinic = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    clinic.emergency_number = "112"
    clinic.save()
    content = client.get(UNCACHED).content.decode()
    assert "999" not in content
    assert content.count("112") >= 2  # the care card heading and the footer


@pytest.mark.django_db
def test_a_settings_change_shows_at_once(client, demo_content):
    client.get(UNCACHED)
    clinic = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    clinic.name = "Renamed Clinic"
    clinic.save()
    assert b"Renamed Clinic" in client.get(UNCACHED).content


@pytest.mark.django_db
def test_new_opening_hours_show_at_once(client, demo_content):
    client.get(UNCACHED)
    clinic = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    OpeningHours.objects.filter(settings=clinic).delete()
    OpeningHours.objects.create(settings=clinic, weekday=6, opens=datetime.time(7, 15), closes=datetime.time(8, 45))
    content = client.get(UNCACHED).content.decode()
    assert "Sunday" in content and "Monday" not in content


@pytest.mark.django_db
def test_a_notice_change_shows_at_once(client, demo_content):
    client.get(UNCACHED)
    notes = ClinicSettings.for_site(Site.objects.get(is_default_site=True)).important_notes
    notes.title = "Read this first"
    notes.body = [("paragraph", RichText("<p>A changed disclaimer.</p>"))]
    notes.save()
    content = client.get(UNCACHED).content
    assert b"Read this first" in content and b"A changed disclaimer." in content


@pytest.mark.django_db
def test_choosing_another_notice_shows_at_once(client, demo_content):
    client.get(UNCACHED)
    other = Notice.objects.create(title="Another notice", body=[("paragraph", RichText("<p>Other words.</p>"))])
    clinic = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    clinic.important_notes = other
    clinic.save()
    assert b"Other words." in client.get(UNCACHED).content


@pytest.mark.django_db
def test_a_new_menu_page_shows_at_once(client, demo_content):
    client.get(UNCACHED)
    page = ConditionPage.objects.get(slug="sciatica")
    page.title = "Sciatica and the nerve"
    page.show_in_menus = True
    page.save_revision().publish()
    nav = client.get(UNCACHED).content.decode().split('class="main-nav"')[1].split("</nav>")[0]
    assert 'aria-current="page">Sciatica and the nerve<' in nav


def test_fragment_keys_carry_the_language_and_refuse_unknown_parts():
    from django.utils import translation

    with translation.override("en-gb"):
        english = fragment_key(name="article-body", parts=[3, 7, 1, "999"])
    with translation.override("ja"):
        japanese = fragment_key(name="article-body", parts=[3, 7, 1, "999"])
    assert english != japanese
    assert fragment_key(name="article-body", parts=[3, None, 1, "999"]) is None


@pytest.mark.django_db
def test_an_unpublished_or_renamed_article_leaves_the_cached_route_at_once(client, demo_content):
    assert client.get(UNCACHED).status_code == 200
    page = ConditionPage.objects.get(slug="sciatica")
    page.slug = "sciatica-nerve"
    page.save_revision().publish()
    assert client.get(UNCACHED).status_code == 404
    assert client.get("/sciatica-nerve/?fresh=1").status_code == 200
    ConditionPage.objects.get(pk=page.pk).unpublish()
    assert client.get("/sciatica-nerve/?fresh=1").status_code == 404


@pytest.mark.django_db
def test_the_purge_command_clears_fragments(client, demo_content):
    from django.core.management import call_command

    client.get(UNCACHED)
    assert fragment_keys()
    call_command("purge_page_cache", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert not fragment_keys()


def main_nav(html: str) -> str:
    return html.split('class="main-nav"')[1].split("</nav>")[0]


@pytest.mark.django_db
def test_the_cached_header_marks_the_current_page_of_each_request(client, demo_content):
    for _ in range(2):  # the second round from the cached header fragments
        sciatica = main_nav(client.get(UNCACHED).content.decode())
        privacy = main_nav(client.get("/privacy/?fresh=1").content.decode())
        booking = main_nav(client.get("/appointments/").content.decode())
        assert 'href="/sciatica/" aria-current="page"' in sciatica
        assert "aria-current" not in privacy
        assert 'href="/appointments/" aria-current="page"' in booking
        assert 'href="/sciatica/" aria-current' not in booking


@pytest.mark.django_db
def test_views_without_a_page_never_share_a_header_fragment(client, demo_content):
    client.get("/appointments/")
    client.get("/no-such-page/")
    assert not [key for key in map(str, fragment_keys()) if ":fragment:header:" in key]


@pytest.mark.django_db
def test_a_published_title_shows_in_the_head_and_the_article_at_once(client, demo_content):
    client.get(UNCACHED)
    page = ConditionPage.objects.get(slug="sciatica")
    page.title = "Sciatica, retitled"
    page.save_revision().publish()
    content = client.get(UNCACHED).content.decode()
    assert "<title>Sciatica, retitled | " in content
    assert '<meta property="og:title" content="Sciatica, retitled">' in content
    assert "<h1>Sciatica, retitled</h1>" in content
    assert '"@type":"MedicalWebPage","name":"Sciatica, retitled"' in content  # JSON-LD


@pytest.mark.django_db
def test_a_preview_renders_the_draft_title_in_the_head(client, demo_content):
    client.get(UNCACHED)
    page = ConditionPage.objects.get(slug="sciatica")
    page.title = "Draft headline"
    page.save_revision()
    draft = ConditionPage.objects.get(pk=page.pk).get_latest_revision_as_object()
    preview = draft.make_preview_request()
    preview.render()
    assert b"<title>Draft headline | " in preview.content
    assert b"Draft headline" not in client.get(UNCACHED).content
