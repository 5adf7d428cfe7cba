"""Template tags for the site chrome: navigation, clinic details and structured data."""

import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from wagtail.models import Site

from pages.models import ClinicSettings

register = template.Library()


@register.inclusion_tag("includes/main_nav.html", takes_context=True)
def main_nav(context):
    request = context["request"]
    site = Site.find_for_request(request)
    current = context.get("page")
    items = []
    for item in site.root_page.get_children().live().in_menu() if site else []:
        state = ""
        if current is not None and current.pk == item.pk:
            state = "page"
        elif current is not None and current.path.startswith(item.path):
            state = "true"
        items.append((item, state))
    return {"request": request, "items": items}


@register.filter
def with_emergency_number(text: str, clinic: ClinicSettings) -> str:
    """Fill the '{emergency_number}' placeholder that care-card headings may contain."""
    return (text or "").replace("{emergency_number}", clinic.emergency_number if clinic else "")


@register.simple_tag
def json_ld(data: dict):
    """A JSON-LD data block; '<' is escaped so no content can close the script element."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    # Safe: json.dumps escapes quotes and backslashes, and every "<" is escaped above.
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308  # nosec B308 B703
