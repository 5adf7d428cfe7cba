"""StreamField data from the seed text's own lines: paragraphs, bold paragraphs and lists."""

from django.utils.html import escape


def join(lines) -> str:
    """Join the seed's broken lines into one sentence; a line ending in a dash runs on."""
    text = ""
    for line in lines:
        text += line if not text or text.endswith("—") else " " + line
    return text


def p(*lines: str) -> tuple:
    return ("paragraph", "<p>" + escape(join(lines)) + "</p>")


def bold(*lines: str) -> tuple:
    return ("paragraph", "<p><b>" + escape(join(lines)) + "</b></p>")


def ul(items: list[str], intro: str = "") -> tuple:
    return ("bullet_list", {"intro": intro, "items": items})
