"""The members demo content: idempotent, quoting only the seed, flagged for replacement."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from wagtail.models import Page

from members import demo
from members.models import MembersAreaPage, MembersArticlePage
from pages.demo.sciatica import MEMBERS_TOPICS

SEED = Path(__file__).resolve().parents[2] / "pages" / "demo" / "sciatica-page.txt"
# Not clinical statements: the demo note itself and the label read before the chain diagram.
NON_CLINICAL = {"From a stiff diaphragm to sciatic nerve irritation"}


def normalise(text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", text).replace("**", "").replace("✔", "")
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"\s*—\s*", "—", text).strip()


def statements(value) -> list[str]:
    """Every piece of text in a block value."""
    if isinstance(value, str):
        return [value]
    if hasattr(value, "source"):  # RichText
        return [value.source]
    if isinstance(value, dict) or hasattr(value, "items") and callable(value.items):
        return [text for item in value.values() for text in statements(item)]
    if hasattr(value, "raw_data") or isinstance(value, list | tuple):
        found = []
        for item in value:
            found += statements(getattr(item, "value", item))
        return found
    return []


@pytest.mark.django_db
def test_one_article_per_seed_topic_flagged_as_demo(members):
    area = MembersAreaPage.objects.get()
    assert area.url == "/members/" and area.show_in_menus and area.is_demo_content
    assert [page.title for page in members] == MEMBERS_TOPICS
    for page in members:
        assert page.is_demo_content
        assert page.get_admin_display_title().endswith("(demo content — replace)")
        assert page.title == page.get_admin_display_title().rsplit(" (", 1)[0]  # the public title is clean


@pytest.mark.django_db
def test_every_statement_is_quoted_from_the_seed(members):
    seed = normalise(SEED.read_text(encoding="utf-8"))
    checked = 0
    for page in members:
        texts = [page.title, page.summary] + statements(page.body)
        for text in texts:
            clean = normalise(text)
            if not clean or clean in NON_CLINICAL or clean in ("h2", "h3") or clean.startswith("Demo page:"):
                continue
            assert clean in seed, f"{page.slug}: not in the seed: {clean!r}"
            checked += 1
    for paragraph in MembersAreaPage.objects.get().intro.split("\n\n"):
        assert normalise(paragraph) in seed
    assert checked >= 40


@pytest.mark.django_db
def test_each_article_starts_with_the_demo_note_and_shows_the_important_notes(client, members, reception_user):
    client.force_login(reception_user)
    for page in members:
        assert page.body[0].block_type == "paragraph" and "Demo page" in page.body[0].value.source
        html = client.get(page.url).text
        assert "Important Notes" in html and "do not try to determine it on your own" in html


@pytest.mark.django_db
def test_loader_is_idempotent_and_keeps_staff_edits(members):
    article = MembersArticlePage.objects.get(slug="toldts-fascia")
    article.title = "Edited by the clinic"
    article.save_revision().publish()
    before = Page.objects.count()
    call_command("load_demo_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    demo.load(log=lambda *_: None)
    assert Page.objects.count() == before
    assert MembersArticlePage.objects.get(slug="toldts-fascia").title == "Edited by the clinic"
