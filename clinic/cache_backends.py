"""A Redis cache that fails open, so an outage of the cache never takes public pages down.

With Redis unreachable a read is a miss, a write is dropped and a delete is forgotten; each
failure is logged (rate-limited by the logging system, not here) and the request goes on to
render the page from the database. Two callers must NOT fail open and use `strict_cache()`:
throttle counters (a guessing limit that silently stops counting is no limit: the members
gate must refuse checks while its counters are unavailable) and `/healthz`.

Sessions use a separate, strict alias ("sessions"). Django's cache session store already
treats an unreadable session as empty, so during an outage every visitor is anonymous: nobody
keeps a members grant or admin access they cannot prove. Writing a session (signing in,
granting access) raises, and `CacheOutageMiddleware` turns that into a clear 503.
"""

import logging

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)


class FailOpenRedisCache(RedisCache):
    def _fail_open(self, operation: str, default, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except OUTAGE_ERRORS as error:
            logger.warning("cache %s failed open: %s", operation, type(error).__name__)
            return default

    def get(self, key, default=None, version=None):
        return self._fail_open("get", default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._fail_open("get_many", {}, super().get_many, keys, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("set", None, super().set, key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("add", False, super().add, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("set_many", list(data), super().set_many, data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._fail_open("delete", False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        return self._fail_open("delete_many", None, super().delete_many, keys, version)

    def has_key(self, key, version=None):
        return self._fail_open("has_key", False, super().has_key, key, version)

    def clear(self):
        return self._fail_open("clear", False, super().clear)

    # incr/decr stay strict on purpose: they are counters, and a counter that silently stops
    # counting is worse than an error.

    @cached_property
    def strict(self) -> RedisCache:
        """The same cache without the safety net, for callers that must fail closed."""
        return RedisCache(
            self._servers,
            {
                "OPTIONS": self._options,
                "KEY_PREFIX": self.key_prefix,
                "VERSION": self.version,
                "TIMEOUT": self.default_timeout,
            },
        )


def strict_cache(alias: str = "default"):
    """The cache at `alias`, raising on outage instead of pretending (throttles, health checks)."""
    cache = caches[alias]
    return cache.strict if isinstance(cache, FailOpenRedisCache) else cache


class CacheOutageMiddleware:
    """A request that needs a strict cache (a session) during an outage gets a 503, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RedisConnectionError | RedisTimeoutError):
            logger.error("cache unavailable while handling a request that needs it")
            response = HttpResponse(
                _("The service is briefly unavailable. Please try again in a minute."),
                status=503,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = "60"
            response["Cache-Control"] = "no-store"
            return response
        return None
