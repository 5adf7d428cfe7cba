"""Per-process copies of page cache entries, kept under the page generation token.

Entries the uncached page path reads on every request (site, settings, route, menu, access
checks, fragments) are kept in process memory, tagged with the cache's *generation*
(caching.tokens.page_generation). A purge clears the alias and writes a new token, so each
process reads one key per request (the token) and drops its whole memory copy when it changed:
a publish shows at once on every worker, whatever process handled it.

The same token names where a request's shared entries go (`shared_key`, and the key prefix of
the page cache middleware). A request reads it before it reads any content, so whatever a
request that began before a purge stores lands under the old token, where no request that
begins after the purge looks. Such leftovers expire with PAGE_CACHE_SECONDS.
"""

import copy
import threading
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import caches

from .tokens import page_generation

# A bound on the process copy; a clinic site has a few dozen pages.
MAX_LOCAL_ENTRIES = 2000

# The generation this request started with; None outside a request or once it purged.
_request_generation: ContextVar[str | None] = ContextVar("page_cache_generation", default=None)
_lock = threading.Lock()
_local: tuple[str | None, dict] = (None, {})


def forget_local() -> None:
    global _local
    with _lock:
        _local = (None, {})
    # The rest of a request that purged reads the shared cache, never what it held before.
    _request_generation.set(None)


def bind_generation():
    """Read the generation once for this request; returns a token for `unbind_generation`."""
    return _request_generation.set(page_generation.current())


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


def lookup(key: str):
    """A page cache entry from process memory, else from the shared cache (then kept in memory);
    None if neither has it. Values are shared between requests: treat them as read-only."""
    value = local_get(key)
    if value is None:
        value = caches[settings.PAGE_CACHE_ALIAS].get(shared_key(key))
        if value is not None:
            local_set(key, value)
    return value


def keep(key: str, value) -> None:
    caches[settings.PAGE_CACHE_ALIAS].set(shared_key(key), value, settings.PAGE_CACHE_SECONDS)
    local_set(key, value)


def lookup_or_build(key: str, build):
    """`lookup(key)`, else `build()` kept in both places unless it returns None."""
    value = lookup(key)
    if value is None:
        value = build()
        if value is not None:
            keep(key, value)
    return value
