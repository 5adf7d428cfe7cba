"""The public page cache: one cache alias, cleared whole whenever published content changes.

Clearing everything is deliberate: navigation, teasers and the footer put one page's
content on many others, and a small clinic site re-renders in milliseconds.
"""

from django.conf import settings
from django.core.cache import caches


def purge_page_cache() -> None:
    caches[settings.PAGE_CACHE_ALIAS].clear()
