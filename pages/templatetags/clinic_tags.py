"""Template tags for the site chrome: navigation, clinic details and structured data."""

import json

from django import template
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from wagtail.models import Site

from caching.entries import lookup_or_build
from pages.fragments import cached_fragment, is_preview
from pages.models import ClinicSettings

register = template.Library()


@register.inclusion_tag("includes/main_nav.html", takes_context=True)
def main_nav(context):
    request = context["request"]
    current = context.get("page")
    items = []
    for item in menu_items(request):
        state = ""
        if current is not None and current.pk == item["pk"]:
            state = "page"
        elif current is not None and current.path.startswith(item["path"]):
            state = "true"
        items.append((item, state))
    return {"request": request, "items": items}


def menu_items(request) -> list[dict]:
    """The site's menu pages (title, URL, tree path), kept in the page cache alias, which
    every publish, unpublish, move or slug change clears."""
    site = Site.find_for_request(request)
    if site is None:
        return []

    def build():
        return [
            {"pk": page.pk, "path": page.path, "title": page.title, "url": page.get_url(request)}
            for page in site.root_page.get_children().live().in_menu()
        ]

    if is_preview(request):
        return build()
    return lookup_or_build(f"menu:{site.pk}:{translation.get_language()}", build)


@register.filter
def with_emergency_number(text: str, clinic: ClinicSettings) -> str:
    """Fill the '{emergency_number}' placeholder that care-card headings may contain."""
    return (text or "").replace("{emergency_number}", clinic.emergency_number if clinic else "")


@register.filter
def startswith(text, prefix: str) -> bool:
    return str(text).startswith(prefix)


@register.simple_tag
def json_ld(data: dict):
    """A JSON-LD data block; '<' is escaped so no content can close the script element."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    # Safe: json.dumps escapes quotes and backslashes, and every "<" is escaped above.
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308  # nosec B308 B703


class FragmentNode(template.Node):
    def __init__(self, nodelist, name, parts):
        self.nodelist = nodelist
        self.name = name
        self.parts = parts

    def render(self, context):
        request = context.get("request")
        site = Site.find_for_request(request) if request is not None else None
        clinic = ClinicSettings.for_request(request) if site is not None else None
        # A part that does not resolve (no `page` in a non-page view) is None: not cached.
        parts = [part.resolve(context, ignore_failures=True) for part in self.parts]
        parts += [site.pk if site else None, clinic.emergency_number if clinic else None]
        return mark_safe(  # noqa: S308 - the nodelist's own (autoescaped) output  # nosec B308 B703
            cached_fragment(
                request=request,
                name=self.name.resolve(context),
                parts=parts,
                render=lambda: self.nodelist.render(context),
            )
        )


@register.tag
def fragment(parser, token):
    """Cache what it encloses in the page cache alias (see pages/fragments.py).

    {% fragment "article-body" page.pk page.live_revision_id %}...{% endfragment %}
    Every argument is part of the key; a missing (None) part means "do not cache".
    """
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("fragment needs a name")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(bit) for bit in bits[2:]])
