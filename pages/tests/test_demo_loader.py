"""The demo loader: idempotent, never overwrites staff edits, carries the seed faithfully."""

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from wagtail.images import get_image_model
from wagtail.models import Page, Revision, Site
from wagtail.rich_text import RichText

from pages.demo import sciatica
from pages.models import ClinicSettings, ConditionPage, Notice, OpeningHours

SEED = Path(__file__).resolve().parents[1] / "demo" / "sciatica-page.txt"
MARKERS = "■◆✔▼※↓"


def normalise(text: str) -> str:
    """Typographic quotes and dashes, decorative markers, bold marks and spacing do not count."""
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    text = text.replace("—", "-").replace("–", "-").replace("**", "")
    text = re.sub(f"[{MARKERS}]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def substantive_seed_lines() -> list[str]:
    lines = []
    for raw in SEED.read_text(encoding="utf-8").splitlines():
        line = normalise(raw)
        if line in ("", "-") or not re.search(r"[A-Za-z]{2}", line) or line == ".png)":
            continue  # blank lines, bare bullets, arrows and the stray image link
        lines.append(line)
    return lines


def page_text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    main = BeautifulSoup(response.content, "html.parser").find("main")
    return normalise(main.get_text(" "))


def test_seed_parser_sees_the_whole_article():
    lines = substantive_seed_lines()
    assert lines[0] == "Sciatica"
    assert "Important Notes" in lines
    assert lines[-1] == "and help you understand what may be contributing to your symptoms."
    assert len(lines) == 145  # 201 non-blank lines less 52 bare bullets, 3 arrows and ".png)"


@pytest.mark.django_db
def test_every_substantive_seed_line_appears_on_the_page_in_order(client, demo_content):
    text = page_text(client, "/sciatica/")
    position = 0
    for line in substantive_seed_lines():
        found = text.find(line, position)
        assert found >= 0, f"missing or out of order: {line!r} (after …{text[max(0, position - 80) : position]!r})"
        position = found + len(line)


@pytest.mark.django_db
def test_a_removed_sentence_is_noticed(client, demo_content):
    """The check above can fail: drop one seed sentence from the page and it is missing."""
    page = ConditionPage.objects.get(slug="sciatica")
    page.body = [block for block in page.body.raw_data if block["type"] != "call_to_action"]
    page.save_revision().publish()
    text = page_text(client, "/sciatica/")
    assert normalise("we will support your body’s natural ability to reorganize and heal.") not in text


# What the article may show besides the seed: the interface's own words and the additions
# marked ADDED in pages/demo/sciatica.py. Anything else would be text we wrote into the clinic's
# medical content.
INTERFACE_WORDS = ["Go to the members area", "Book an appointment", ", which leads to:"]


def unexplained_text(text: str) -> str:
    for line in sorted(set(substantive_seed_lines()), key=len, reverse=True):
        # A seed line ending in a dash runs straight on into the next one on the page.
        tail = "" if line.endswith("-") else r"(?!\w)"
        text = re.sub(r"(?<!\w)" + re.escape(line) + tail, " ", text)
    for words in INTERFACE_WORDS + [sciatica.FIGURE_CAPTION, sciatica.CHAIN_LABEL]:
        text = text.replace(normalise(words), " ")
    return normalise(text)


@pytest.mark.django_db
def test_the_article_says_nothing_the_seed_does_not(client, demo_content):
    page = ConditionPage.objects.get(slug="sciatica")
    assert page.last_reviewed is None and page.next_review is None and page.reviewed_by == ""
    assert unexplained_text(page_text(client, "/sciatica/")) == ""
    assert not [block for block in page.body.raw_data if block["type"] == "care_card"]


@pytest.mark.django_db
def test_added_words_are_noticed(client, demo_content):
    """The check above can fail: a sentence staff (or a developer) add shows up as unexplained."""
    page = ConditionPage.objects.get(slug="sciatica")
    page.body.append(("paragraph", RichText("<p>Rest for two weeks.</p>")))
    page.save_revision().publish()
    assert unexplained_text(page_text(client, "/sciatica/")) == "Rest for two weeks."


def snapshot() -> dict:
    return {
        "pages": sorted(Page.objects.values_list("url_path", "title", "live")),
        "revisions": Revision.objects.count(),
        "images": get_image_model().objects.count(),
        "notices": list(Notice.objects.values_list("title", flat=True)),
        "settings": list(ClinicSettings.objects.values_list("name", "phone", "emergency_number")),
        "hours": OpeningHours.objects.count(),
        "sites": list(Site.objects.values_list("hostname", "port", "root_page_id")),
    }


@pytest.mark.django_db
def test_loader_is_idempotent(demo_content):
    before = snapshot()
    call_command("load_demo_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot() == before
    paths = [path for path, _, _ in before["pages"]]
    # Other apps' loaders add their own pages (members area, contact); ours are all there.
    assert {"/", "/home/", "/home/privacy/", "/home/sciatica/"} <= set(paths)
    assert before["images"] >= 1


@pytest.mark.django_db
def test_loader_never_overwrites_staff_edits(demo_content):
    page = ConditionPage.objects.get(slug="sciatica")
    page.title = "Sciatica (edited by staff)"
    page.body = [("paragraph", "<p>Staff wrote this.</p>")]
    page.save_revision().publish()
    draft = Page.objects.get(slug="privacy").specific
    draft.title = "Privacy (draft in progress)"
    draft.save_revision()  # an unpublished draft
    notes = Notice.objects.get()
    notes.body = [("paragraph", "<p>Edited notes.</p>")]
    notes.save()
    clinic = ClinicSettings.objects.get()
    clinic.phone = "+44 1234 567890"
    clinic.save()
    clinic.opening_hours.filter(weekday=5).delete()
    site = Site.objects.get()
    site.hostname, site.port = "clinic.example", 443
    site.save()

    call_command("load_demo_content", stdout=open("/dev/null", "w"))  # noqa: SIM115

    page.refresh_from_db()
    assert page.title == "Sciatica (edited by staff)"
    assert page.body.raw_data[0]["value"] == "<p>Staff wrote this.</p>"
    assert Page.objects.get(slug="privacy").specific.get_latest_revision_as_object().title == (
        "Privacy (draft in progress)"
    )
    assert Notice.objects.get().body.raw_data[0]["value"] == "<p>Edited notes.</p>"
    assert ClinicSettings.objects.get().phone == "+44 1234 567890"
    assert not OpeningHours.objects.filter(weekday=5).exists()
    assert Site.objects.values_list("hostname", "port").get() == ("clinic.example", 443)


@pytest.mark.django_db
def test_loader_leaves_settings_staff_filled_in_before_it_ran(db):
    site = Site.objects.get(is_default_site=True)
    ClinicSettings.objects.create(site=site, phone="+44 9999 000000")
    call_command("load_demo_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    clinic = ClinicSettings.objects.get()
    assert clinic.phone == "+44 9999 000000"
    assert clinic.name == "Clinic"


@pytest.mark.django_db
def test_loader_points_the_placeholder_site_at_site_url(settings, db):
    settings.SITE_URL = "https://clinic.example"
    call_command("load_demo_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    site = Site.objects.get()
    assert (site.hostname, site.port) == ("clinic.example", 443)
    assert ConditionPage.objects.get().full_url == "https://clinic.example/sciatica/"


@pytest.mark.django_db
def test_important_notes_are_one_snippet_shown_on_every_condition_page(client, demo_content):
    home = Page.objects.get(slug="home")
    other = ConditionPage(title="Low back pain", slug="low-back-pain", summary="A second article.", body=[])
    home.add_child(instance=other)
    other.save_revision().publish()
    notes = Notice.objects.get()
    notes.title = "Important Notes (edited once)"
    notes.save()
    for path in ("/sciatica/", "/low-back-pain/"):
        assert "Important Notes (edited once)" in page_text(client, path)


@pytest.mark.django_db(transaction=True)
def test_loader_works_on_a_flushed_database(client):
    """`manage.py flush` (and every transactional test) removes the rows Wagtail's migrations made."""
    from django.contrib.contenttypes.models import ContentType

    call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()
    assert not Page.objects.exists()
    call_command("load_demo_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert client.get("/sciatica/").status_code == 200
    assert get_image_model().objects.get().collection.is_root()
