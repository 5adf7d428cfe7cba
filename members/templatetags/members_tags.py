from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from members.page_cache import MARKER_ATTRIBUTE

register = template.Library()


@register.simple_tag(takes_context=True)
def members_csrf_token(context):
    """{% csrf_token %}, or the marker members/page_cache.py swaps for each request's token
    when it renders the copy it stores (no session's token is ever stored)."""
    marker = getattr(context.get("request"), MARKER_ATTRIBUTE, None)
    if marker:
        return mark_safe(marker)  # noqa: S308 - our own random marker  # nosec B308 B703
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":  # noqa: S105 - Django's "no token" value, not a secret  # nosec B105
        return ""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
