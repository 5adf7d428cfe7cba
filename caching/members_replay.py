"""A WSGI fast path for granted members: a members page from process memory, revocation still at once.

Django answers a granted members request from the stored copy (members/page_cache.py) after the
access check; that is about a millisecond of middleware. This wrapper remembers two things from
such an answer and replays it in microseconds:

- the page: the stored copy's HTML around its CSRF marker and the headers Django sent, by the
  raw request location (scheme, host, port, path as sent; see caching.public_replay.RequestLocation);
- the session: that this session key was granted, and until when (the grant's end, the session's
  fixed end and MEMBERS_ACCESS_CACHE_SECONDS, whichever comes first; see page_cache._grant_end).

Both are tagged with the members access version (caching.tokens.access_version), read from
the shared page cache alias on every request, as Django's own access check does. Every change
that can close a session or change a page writes a new version: a password rotation, a pass
revoked, the policy, leaving the members area, staff signing in or out from a granted session,
and every page-cache purge (which clears the alias the version lives in). So a revocation counts
at once on every process, and the fast path keeps nothing Django would not decide the same way.

What a replay does differently from Django, on purpose: the CSRF token is masked here (same
format and secret as Django's, from the request's own `csrftoken` cookie, which must be present
and well formed), and the `csrftoken` cookie is not re-sent (Django re-sends it on every response
that renders a token, to push its expiry a year out; the next request Django answers does it).

gzip: the page is compressed once and each token spliced in uncompressed (caching/gzip_splice.py).

Requests that do not fit (no session or CSRF cookie, a query string, a method other than GET and
HEAD, a version that does not match, a session or page not seen under it) go to Django unchanged.
MEMBERS_FASTPATH=0 turns it off.
"""

import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.http.cookie import parse_cookie

from .csrf_mask import is_csrf_secret, mask_secret
from .gzip_splice import Page
from .public_replay import RequestLocation, accepts_gzip, fresh_request_id
from .stamps import VersionReader
from .tokens import access_version

# Headers Django sends that belong to one response, or that this path writes itself.
_PER_RESPONSE = {"content-length", "content-encoding", "set-cookie", "x-request-id", "date"}
_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'


def with_members_fast_path(app, *, choose_request_id):
    return MembersFastPath(app, choose_request_id=choose_request_id) if settings.MEMBERS_FASTPATH else app


class MembersFastPath:
    def __init__(self, app, *, max_sessions=None, max_pages=None, clock=time.time, choose_request_id=fresh_request_id):
        self.app = app
        self.choose_request_id = choose_request_id
        self.clock = clock
        self.max_sessions = max_sessions or settings.MEMBERS_FASTPATH_MAX_SESSIONS
        self.max_pages = max_pages or settings.MEMBERS_FASTPATH_MAX_PAGES
        self.location = RequestLocation()
        self.trust_proxy = settings.TRUSTED_PROXY_COUNT > 0
        self.session_cookie = settings.SESSION_COOKIE_NAME
        self.csrf_cookie = settings.CSRF_COOKIE_NAME
        self._needle = self.session_cookie + "="
        self._read_version = VersionReader(caches[settings.PAGE_CACHE_ALIAS], access_version.key)
        self._version: str | None = None
        self._sessions: dict[str, float] = {}  # session key -> granted until (Unix time)
        self._pages: dict[tuple, Page] = {}
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        cookie_header = environ.get("HTTP_COOKIE", "")
        if self._needle not in cookie_header or environ.get("QUERY_STRING"):
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        cookies = parse_cookie(cookie_header)
        session_key = cookies.get(self.session_cookie)
        secret = cookies.get(self.csrf_cookie)
        if not session_key or not is_csrf_secret(secret):
            return self.app(environ, start_response)
        version = self._read_version()
        if version is None:
            return self.app(environ, start_response)  # nothing to compare with (outage, just purged)
        if version != self._version:
            self._forget(version)
        key = self.location.key(environ)
        page = self._pages.get(key)
        until = self._sessions.get(session_key)
        if page is not None and until is not None and page.version == version and self.clock() < until:
            return self._replay(page, secret, environ, start_response)
        if method != "GET":
            return self.app(environ, start_response)
        return self._fill(key, session_key, secret, version, environ, start_response)

    def _replay(self, page: Page, secret: str, environ, start_response):
        csrf_input = _INPUT.format(mask_secret(secret)).encode()
        headers = page.headers.copy()
        if accepts_gzip(environ):
            body = page.gzip_body(csrf_input)
            headers.append(("Content-Encoding", "gzip"))
        else:
            body = page.body(csrf_input)
        headers.append(("Content-Length", str(len(body))))
        headers.append(
            (
                "X-Request-ID",
                self.choose_request_id(offered=environ.get("HTTP_X_REQUEST_ID"), trust_proxy=self.trust_proxy),
            )
        )
        start_response(page.status, headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def _fill(self, key, session_key, secret, version, environ, start_response):
        captured = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        started = self.clock()
        result = self.app(environ, capture)
        grant = getattr(result, "members_fastpath", None)
        if grant is None or not captured or not self._rememberable(*captured, secret=secret):
            return result
        status, headers = captured
        page = Page.build(
            version=version,
            status=status,
            headers=[(name, value) for name, value in headers if name.lower() not in _PER_RESPONSE],
            html=grant.stored.html,
            marker=grant.stored.marker,
        )
        with self._lock:
            if version != self._version:
                return result  # another request saw a newer version meanwhile
            if len(self._pages) >= self.max_pages:
                self._pages.clear()
            self._pages[key] = page
            if grant.until is not None and grant.until > started:
                if len(self._sessions) >= self.max_sessions:
                    self._sessions.clear()
                self._sessions[session_key] = grant.until
        return result

    def _rememberable(self, status: str, headers: list, *, secret: str) -> bool:
        """A 200 that set no cookie but the request's own CSRF secret again (the session kept its key)."""
        if not status.startswith("200 "):
            return False
        for name, value in headers:
            lower = name.lower()
            if lower in ("etag", "last-modified"):
                return False
            if lower == "set-cookie" and not value.lstrip().startswith(f"{self.csrf_cookie}={secret};"):
                return False
        return True

    def _forget(self, version: str) -> None:
        with self._lock:
            if version != self._version:
                self._version = version
                self._sessions.clear()
                self._pages.clear()

    def clear(self) -> None:
        with self._lock:
            self._version = None
            self._sessions.clear()
            self._pages.clear()

    @property
    def sizes(self) -> tuple[int, int]:
        return len(self._sessions), len(self._pages)
