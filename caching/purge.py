"""The public page cache's purge: one cache alias, cleared whole whenever published content changes.

Clearing everything is deliberate: navigation, teasers and the footer put one page's content on
many others, and a small clinic site re-renders in milliseconds. A purge also removes the members
access version (it lives in the same alias), so members replays are retired with it.
"""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

from . import entries, public_replay
from .tokens import page_generation


def purge_page_cache() -> None:
    _purge()
    if transaction.get_connection().in_atomic_block:
        # Signals such as page_published fire before the admin's transaction commits; a request
        # in between would cache the old content (and access rules) for the new generation.
        transaction.on_commit(_purge, robust=True)


def _purge() -> None:
    # This process's replay copies go at once; other processes' at their next request (they
    # compare the generation), or within FASTPATH_SECONDS where no shared stamp can be read.
    public_replay.clear_local()
    cache = caches[settings.PAGE_CACHE_ALIAS]
    if isinstance(cache, RedisCache):
        # The page cache shares its Redis database with sessions and throttle counters; Django's
        # clear() would FLUSHDB and log every user out. Delete only this alias's keys. Django has
        # no public way to scan keys: `_cache.get_client` is pinned by caching/tests/test_private_names.py.
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
    else:
        cache.clear()
    page_generation.replace()
    entries.forget_local()
