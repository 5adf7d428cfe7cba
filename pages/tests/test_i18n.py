"""Every interface string in the templates is marked for translation (a Japanese edition is planned)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted([*(ROOT / "templates").rglob("*.html"), *(ROOT / "pages" / "templates").rglob("*.html")])


def untranslated_text(source: str) -> list[str]:
    """Words left once comments, template tags, variables, translate blocks and HTML tags are removed."""
    source = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", " ", source, flags=re.S)
    source = re.sub(r"{#.*?#}", " ", source, flags=re.S)
    source = re.sub(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", " ", source, flags=re.S)
    source = re.sub(r"{%\s*block body_class\s*%}.*?{%\s*endblock\s*%}", " ", source, flags=re.S)  # CSS classes
    source = re.sub(r"{%.*?%}|{{.*?}}", " ", source, flags=re.S)
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    source = re.sub(r"<svg\b.*?</svg>", " ", source, flags=re.S)  # drawings, hidden from readers
    source = re.sub(r"<[^>]+>", " ", source)
    return [word for word in re.findall(r"[A-Za-z][A-Za-z'’]+", source) if word.lower() != "doctype"]


def test_the_checker_notices_a_bare_string():
    assert untranslated_text("<p>Book now</p>") == ["Book", "now"]
    assert untranslated_text('<p>{% translate "Book now" %} {{ page.title }}</p>') == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_untranslated_text(path):
    assert untranslated_text(path.read_text(encoding="utf-8")) == []


def test_attributes_meant_for_people_are_translated():
    for path in TEMPLATES:
        source = path.read_text(encoding="utf-8")
        for attribute in re.findall(r'(?:aria-label|alt|title|placeholder)="([^"{]*)"', source):
            assert not re.search(r"[A-Za-z]{2}", attribute), f"{path.name}: {attribute!r}"
