"""The public page cache: one cache alias, cleared whole whenever published content changes.

Clearing everything is deliberate: navigation, teasers and the footer put one page's
content on many others, and a small clinic site re-renders in milliseconds.

Entries the uncached page path reads on every request (site, settings, route, menu, access
checks, fragments) are also kept in process memory, tagged with the cache's *generation*: a
random token stored in the alias itself. A purge clears the alias and writes a new token, so each
process reads one key per request (the token) and drops its whole memory copy when it changed:
a publish shows at once on every worker, whatever process handled it.

The same token names where a request's shared entries go: fragments and routes (`shared_key`)
and stored pages (the key prefix of clinic/middleware.py's page cache). A request reads it before
it reads any content, so whatever a request that began before a purge stores lands under the old
token, where no request that begins after the purge looks: its old content cannot be served
after the purge, however late it is written. Such leftovers expire with PAGE_CACHE_SECONDS.
"""

import copy
import secrets
import threading
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

GENERATION_KEY = "generation"
# A bound on the process copy; a clinic site has a few dozen pages.
MAX_LOCAL_ENTRIES = 2000

# The generation this request started with; None outside a request or once it purged.
_request_generation: ContextVar[str | None] = ContextVar("page_cache_generation", default=None)
_lock = threading.Lock()
_local: tuple[str | None, dict] = (None, {})


def purge_page_cache() -> None:
    _purge()
    if transaction.get_connection().in_atomic_block:
        # Signals such as page_published fire before the admin's transaction commits; a request
        # in between would cache the old content (and access rules) for the new generation.
        transaction.on_commit(_purge, robust=True)


def _purge() -> None:
    from clinic import fastpath  # imports the middleware, which imports this module

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
    else:
        cache.clear()
    cache.set(GENERATION_KEY, secrets.token_hex(8), settings.PAGE_CACHE_SECONDS)
    _forget_local()


def _forget_local() -> None:
    global _local
    with _lock:
        _local = (None, {})
    # The rest of a request that purged reads the shared cache, never what it held before.
    _request_generation.set(None)


def current_generation() -> str | None:
    """The shared cache's generation token, made if missing (after a purge or expiry);
    None if the cache cannot be read (Redis down): then nothing is kept in process memory."""
    cache = caches[settings.PAGE_CACHE_ALIAS]
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, secrets.token_hex(8), settings.PAGE_CACHE_SECONDS)
        generation = cache.get(GENERATION_KEY)
    return generation


def bind_generation():
    """Read the generation once for this request; returns a token for `unbind_generation`."""
    return _request_generation.set(current_generation())


def unbind_generation(token) -> None:
    _request_generation.reset(token)


def request_generation() -> str | None:
    """The generation this request started under; None outside a request, when the shared
    cache could not be read, or once this request purged."""
    return _request_generation.get()


def local_get(key: str):
    """The process copy of a page cache entry, if this request's generation still holds it."""
    generation = _request_generation.get()
    if generation is None:
        return None
    held_generation, entries = _local
    if held_generation != generation:
        return None
    return entries.get(key)


def local_set(key: str, value) -> None:
    global _local
    generation = _request_generation.get()
    if generation is None:
        return
    with _lock:
        held_generation, entries = _local
        if held_generation != generation or len(entries) >= MAX_LOCAL_ENTRIES:
            entries = {}
            _local = (generation, entries)
        entries[key] = value


def own_copy(instance):
    """A shallow copy of a model instance kept here, for one request to use (and annotate) alone.

    What Django's pickling does (__getstate__/__setstate__), without the pickling machinery."""
    clone = instance.__class__.__new__(instance.__class__)
    clone.__dict__ = instance.__dict__.copy()
    clone._state = copy.copy(instance._state)
    clone._state.fields_cache = instance._state.fields_cache.copy()
    return clone


def shared_key(key: str) -> str:
    # Tagged with the generation, so a request that began before a purge never writes an entry
    # that requests after it read.
    generation = _request_generation.get()
    return key if generation is None else f"{key}:{generation}"


def recall(key: str):
    """A page cache entry from process memory, else from the shared cache (then kept in memory);
    None if neither has it. Values are shared between requests: treat them as read-only."""
    value = local_get(key)
    if value is None:
        value = caches[settings.PAGE_CACHE_ALIAS].get(shared_key(key))
        if value is not None:
            local_set(key, value)
    return value


def store(key: str, value) -> None:
    caches[settings.PAGE_CACHE_ALIAS].set(shared_key(key), value, settings.PAGE_CACHE_SECONDS)
    local_set(key, value)


def remember(key: str, build):
    """`recall(key)`, else `build()` stored in both places unless it returns None."""
    value = recall(key)
    if value is None:
        value = build()
        if value is not None:
            store(key, value)
    return value
