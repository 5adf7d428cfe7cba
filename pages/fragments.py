"""Rendered fragments of public pages (article bodies, the Important Notes), kept in the page
cache alias so every publish, settings or notice change clears them with the pages (read through
caching.entries.lookup_or_build: process memory checked against the alias's generation, then the alias).

A fragment is never cached for a preview (Wagtail renders the draft then) or when any part of
its key is unknown. Keys carry everything the blocks read besides their own value: the page's
live revision, the language, the site (page links are relative within it) and the emergency
number that care-card headings fill in.
"""

from collections.abc import Callable, Iterable

from django.utils import translation

from caching.entries import lookup_or_build

FRAGMENT_PREFIX = "fragment"


def is_preview(request) -> bool:
    return bool(getattr(request, "is_preview", False) or getattr(request, "is_dummy", False))


def fragment_key(*, name: str, parts: Iterable) -> str | None:
    parts = [name, translation.get_language() or "", *parts]
    if any(part is None for part in parts):
        return None
    return ":".join([FRAGMENT_PREFIX, *(str(part).replace(":", "_") for part in parts)])


def cached_fragment(*, request, name: str, parts: Iterable, render: Callable[[], str]) -> str:
    if request is None or is_preview(request):
        return render()
    key = fragment_key(name=name, parts=parts)
    if key is None:
        return render()
    return lookup_or_build(key, render)
