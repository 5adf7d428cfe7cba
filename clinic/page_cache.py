"""The public page cache: one cache alias, cleared whole whenever published content changes.

Clearing everything is deliberate: navigation, teasers and the footer put one page's
content on many others, and a small clinic site re-renders in milliseconds.
"""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from clinic import fastpath


def purge_page_cache() -> None:
    # This process's fast-path copies go at once; other processes' within FASTPATH_SECONDS.
    fastpath.clear_local()
    cache = caches[settings.PAGE_CACHE_ALIAS]
    if isinstance(cache, RedisCache):
        # The page cache shares its Redis database with sessions and throttle
        # counters; Django's clear() would FLUSHDB and log every user out. Delete
        # only the keys under this alias's prefix.
        client = cache._cache.get_client(write=True)
        pattern = cache.make_key("*")
        batch = []
        for key in client.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)
        return
    cache.clear()
