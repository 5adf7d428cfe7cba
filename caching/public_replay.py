"""A WSGI fast path in front of Django: repeated anonymous page-cache hits answered from memory.

A page-cache hit through Django runs the whole middleware chain and reads and unpickles the
stored page (about a millisecond here); this wrapper replays the last answer Django gave for the
same request in a few microseconds. It decides nothing on its own:

- The request must pass the page cache's own rule (`page_cache_allows`, shared with
  caching/middleware.py), with a stricter query rule: any query string at all goes to Django.
- An entry is filled only from a GET response Django produced for the same key and marked as
  stored in the page cache: 200, `X-Page-Cache`, `Cache-Control: public`, no Set-Cookie, no
  Vary but Accept-Encoding. The key holds the raw Host, port and scheme inputs, so a Host that
  Django refuses (400) can neither fill an entry nor read one.
- Entries live FASTPATH_SECONDS (default 1 s) from the start of the request that filled them. A
  purge in this process (`clear_local`) drops its entries at once; with the shared file cache (no
  Redis) every request also stats the page generation's file, so a purge by any process drops
  them at once too. With Redis, a publish shows on every process within FASTPATH_SECONDS, with no
  per-request network call.
- Memory is capped per process (FASTPATH_MAX_ENTRIES, FASTPATH_MAX_BYTES); the oldest go first.

A hit replays the status, headers (CSP, HSTS, every security header) and bytes Django sent, gzip
or identity as that client asked, with `X-Page-Cache: hit`, the `Age` Django's own hit would
carry and a fresh X-Request-ID. Reusing gzip bytes for a second is safe from BREACH: these
pages hold no secret and reflect no input (query strings never get here).

Granted members pages have their own replay (caching/members_replay.py); it shares only
`RequestLocation` with this one.
"""

import re
import secrets
import threading
import time
import weakref
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.handlers.wsgi import get_path_info
from django.http.cookie import parse_cookie
from django.middleware.gzip import re_accepts_gzip
from django.utils.http import parse_http_date_safe

from .middleware import page_cache_allows
from .stamps import VersionReader
from .tokens import page_generation

_instances: "weakref.WeakSet[FastPath]" = weakref.WeakSet()
# Django's own pattern, compiled here: the lazy object costs microseconds per call.
_ACCEPTS_GZIP = re.compile(re_accepts_gzip.pattern)
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)
# Replaced on every hit; the rest is replayed as Django sent it.
_PER_REQUEST = {"x-request-id", "age", "x-page-cache"}
# Rough per-entry bookkeeping (key tuple, entry object, header tuples) counted against the cap.
_OVERHEAD_BYTES = 512


def clear_local() -> None:
    """Drop every entry of every fast path in this process (called by purge_page_cache)."""
    for instance in list(_instances):
        instance.clear()


def with_fast_path(app, *, choose_request_id):
    """`app` behind the fast path, or `app` itself when FASTPATH_SECONDS is 0."""
    return FastPath(app, choose_request_id=choose_request_id) if settings.FASTPATH_SECONDS > 0 else app


def fresh_request_id(*, offered: str | None, trust_proxy: bool) -> str:
    """The default when the project passes no chooser of its own (clinic.logging has one)."""
    return secrets.token_hex(16)


@dataclass(slots=True)
class _Entry:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    expires_at: float
    max_age: int | None
    expires_ts: int | None
    size: int


def accepts_gzip(environ) -> bool:
    return _ACCEPTS_GZIP.search(environ.get("HTTP_ACCEPT_ENCODING", "")) is not None


class RequestLocation:
    """The raw inputs Django's scheme, host, port and path come from, without building a request.

    Keys hold them as sent, so a Host that Django refuses (400) never matches an entry that
    Django's own answer filled."""

    def __init__(self):
        self.proxy_ssl_header = settings.SECURE_PROXY_SSL_HEADER
        self.forwarded_host = settings.USE_X_FORWARDED_HOST
        self.forwarded_port = settings.USE_X_FORWARDED_PORT

    def key(self, environ) -> tuple:
        return (
            self.scheme(environ),
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"),
            environ.get("HTTP_X_FORWARDED_HOST") if self.forwarded_host else None,
            environ.get("HTTP_X_FORWARDED_PORT") if self.forwarded_port else None,
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
        )

    def scheme(self, environ) -> str:
        """`HttpRequest.scheme` (HSTS and redirects depend on it)."""
        if self.proxy_ssl_header:
            header, secure_value = self.proxy_ssl_header
            value = environ.get(header)
            if value is not None:
                return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
        return environ.get("wsgi.url_scheme", "http")


class FastPath:
    def __init__(
        self,
        app,
        *,
        seconds=None,
        max_entries=None,
        max_bytes=None,
        clock=time.monotonic,
        choose_request_id=fresh_request_id,
    ):
        self.app = app
        self.choose_request_id = choose_request_id
        self.seconds = settings.FASTPATH_SECONDS if seconds is None else seconds
        self.max_entries = settings.FASTPATH_MAX_ENTRIES if max_entries is None else max_entries
        self.max_bytes = settings.FASTPATH_MAX_BYTES if max_bytes is None else max_bytes
        self.clock = clock
        self.trust_proxy = settings.TRUSTED_PROXY_COUNT > 0
        self.location = RequestLocation()
        self._entries: dict[tuple, _Entry] = {}
        self._bytes = 0
        self._generation = 0
        self._lock = threading.Lock()
        # With the shared file cache (no Redis) the page generation is one file: a stat() a
        # request tells whether any process purged, so a publish shows at once everywhere. With
        # Redis that would be a round trip a request; there FASTPATH_SECONDS is the bound.
        cache = caches[settings.PAGE_CACHE_ALIAS]
        self._read_stamp = VersionReader(cache, page_generation.key) if isinstance(cache, FileBasedCache) else None
        self._stamp = None
        _instances.add(self)

    def __call__(self, environ, start_response):
        if self.seconds <= 0:
            return self.app(environ, start_response)
        key = self.request_key(environ)
        if key is None:
            return self.app(environ, start_response)
        generation = self._generation  # before the stamp: a purge seen meanwhile drops this fill
        if self._read_stamp is not None and not self._stamp_is_current():
            return self.app(environ, start_response)
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and now < entry.expires_at:
            return self._replay(entry, environ, start_response)
        if environ.get("REQUEST_METHOD") != "GET":
            return self.app(environ, start_response)  # a HEAD reads a GET's entry but never fills one
        return self._fill(key, now, generation, environ, start_response)

    def _stamp_is_current(self) -> bool:
        """False when the generation cannot be read (just purged, unreadable): Django answers."""
        try:
            stamp = self._read_stamp()
        except OSError:
            return False
        if stamp is None:
            return False
        if stamp != self._stamp:
            self.clear()  # another process (or this one) purged: nothing kept is current
            self._stamp = stamp
        return True

    def request_key(self, environ) -> tuple | None:
        """None unless the page cache may answer; else every input Django's answer depends on."""
        cookie_header = environ.get("HTTP_COOKIE")
        if not page_cache_allows(
            method=environ.get("REQUEST_METHOD", ""),
            path_info=get_path_info(environ),
            cookies=parse_cookie(cookie_header) if cookie_header else {},
            has_query=bool(environ.get("QUERY_STRING")),
        ):
            return None
        return (*self.location.key(environ), accepts_gzip(environ))

    @staticmethod
    def storable(status: str, headers: list[tuple[str, str]]) -> bool:
        """Only what the page cache itself stored: public, anonymous, one variant per encoding."""
        if not status.startswith("200 "):
            return False
        fields = {}
        for name, value in headers:
            fields.setdefault(name.lower(), value)
        if "set-cookie" in fields or fields.get("x-page-cache") not in ("hit", "miss"):
            return False
        directives = {part.split("=", 1)[0].strip().lower() for part in fields.get("cache-control", "").split(",")}
        if "public" not in directives or directives & {"private", "no-store", "no-cache"}:
            return False
        vary = {part.strip().lower() for part in fields.get("vary", "").split(",") if part.strip()}
        return vary <= {"accept-encoding"} and fields.get("content-encoding", "gzip").lower() == "gzip"

    def _replay(self, entry: _Entry, environ, start_response):
        headers = entry.headers.copy()
        if entry.max_age is not None and entry.expires_ts is not None:
            # The same estimate as Django's FetchFromCacheMiddleware on a page-cache hit.
            headers.append(("Age", str(max(0, entry.max_age - (entry.expires_ts - int(time.time()))))))
        request_id = self.choose_request_id(offered=environ.get("HTTP_X_REQUEST_ID"), trust_proxy=self.trust_proxy)
        headers.append(("X-Request-ID", request_id))
        start_response(entry.status, headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [entry.body]

    def _fill(self, key: tuple, started: float, generation: int, environ, start_response):
        captured = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        if not captured or not self.storable(*captured):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()  # Django's request_finished (database connections) runs here
        self._store(key, started, generation, *captured, body)
        return [body]

    def _store(self, key, started, generation, status, headers, body) -> None:
        kept = [(name, value) for name, value in headers if name.lower() not in _PER_REQUEST]
        kept.append(("X-Page-Cache", "hit"))
        fields = {name.lower(): value for name, value in kept}
        if fields.get("content-length") != str(len(body)):
            return
        match = _MAX_AGE.search(fields.get("cache-control", ""))
        expires = fields.get("expires")
        size = len(body) + sum(len(name) + len(value) for name, value in kept) + _OVERHEAD_BYTES
        if size > self.max_bytes:
            return
        entry = _Entry(
            status=status,
            headers=kept,
            body=body,
            expires_at=started + self.seconds,
            max_age=int(match.group(1)) if match else None,
            expires_ts=parse_http_date_safe(expires) if expires else None,
            size=size,
        )
        with self._lock:
            if generation != self._generation:
                return  # purged while this request ran: its answer may be the old page
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            # Oldest first: all entries share one lifetime, so expired ones sit at the front.
            while self._entries:
                first = next(iter(self._entries))
                over = len(self._entries) >= self.max_entries or self._bytes + size > self.max_bytes
                if not over and self._entries[first].expires_at > started:
                    break
                self._bytes -= self._entries.pop(first).size
            self._entries[key] = entry
            self._bytes += size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self._generation += 1

    @property
    def stored_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)
