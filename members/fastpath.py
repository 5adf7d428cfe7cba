"""A WSGI fast path for granted members: a members page from process memory, revocation still at once.

Django answers a granted members request from the stored copy (members/page_cache.py) after the
access check; that is about a millisecond of middleware. This wrapper remembers two things from
such an answer and replays it in microseconds:

- the page: the stored copy's HTML around its CSRF marker and the headers Django sent, by the
  raw request location (scheme, host, port, path as sent; see clinic.fastpath.RequestLocation);
- the session: that this session key was granted, and until when (the grant's end, the session's
  fixed end and MEMBERS_ACCESS_CACHE_SECONDS, whichever comes first; see page_cache._grant_end).

Both are tagged with the members access version (members.access_state.VERSION_KEY), read from
the shared page cache alias on every request, as Django's own access check does. Every change
that can close a session or change a page writes a new version: a password rotation, a pass
revoked, the policy, leaving the members area, staff signing in or out from a granted session,
and every page-cache purge (which clears the alias the version lives in). So a revocation counts
at once on every process, and the fast path keeps nothing Django would not decide the same way.

What a replay does differently from Django, on purpose: the CSRF token is masked here (same
format and secret as Django's, from the request's own `csrftoken` cookie, which must be present
and well formed), and the `csrftoken` cookie is not re-sent (Django re-sends it on every response
that renders a token, to push its expiry a year out; the next request Django answers does it).

gzip: the page is compressed once, in pieces that each end on a byte boundary (Z_SYNC_FLUSH); the
CSRF input goes between them as an uncompressed ("stored") deflate block, so each response costs
one CRC over the page instead of a compression, and the token is never compressed together with
the page (nothing for BREACH to measure, like Django's random gzip padding).

Requests that do not fit (no session or CSRF cookie, a query string, a method other than GET and
HEAD, a version that does not match, a session or page not seen under it) go to Django unchanged.
MEMBERS_FASTPATH=0 turns it off.
"""

import os

# pickle: reads only this site's own file cache, as Django's FileBasedCache does.
import pickle  # noqa: S403  # nosec B403
import re
import struct
import threading
import time
import zlib
from array import array
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.http.cookie import parse_cookie
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

from clinic.fastpath import RequestLocation, accepts_gzip
from clinic.logging import choose_request_id

from .access_state import VERSION_KEY

# Headers Django sends that belong to one response, or that this path writes itself.
_PER_RESPONSE = {"content-length", "content-encoding", "set-cookie", "x-request-id", "date"}
_CHARS = CSRF_ALLOWED_CHARS
_SECRET = re.compile(f"[{re.escape(_CHARS)}]{{{CSRF_SECRET_LENGTH}}}")
_UNBIASED = 256 - 256 % len(_CHARS)  # random bytes at or above it would favour the first letters
_TO_CHAR = bytes(_CHARS.encode()[byte % len(_CHARS)] if byte < _UNBIASED else 0 for byte in range(256))
_BIASED = bytes(range(_UNBIASED, 256))
# secret char -> mask char -> cipher char: the secret's letter moved on by the mask's (Django's rule)
_SHIFTED = {
    char: {pick: _CHARS[(index + shift) % len(_CHARS)] for shift, pick in enumerate(_CHARS)}
    for index, char in enumerate(_CHARS)
}
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no time, unknown OS
_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'


def with_members_fast_path(app):
    return MembersFastPath(app) if settings.MEMBERS_FASTPATH else app


def mask_secret(secret: str) -> str:
    """Django's `_mask_cipher_secret` (a random mask, then the secret shifted by it), faster."""
    raw = os.urandom(48).translate(_TO_CHAR, _BIASED)
    while len(raw) < CSRF_SECRET_LENGTH:
        raw += os.urandom(16).translate(_TO_CHAR, _BIASED)
    mask = raw[:CSRF_SECRET_LENGTH].decode()
    return mask + "".join([_SHIFTED[char][pick] for char, pick in zip(secret, mask, strict=True)])


def is_csrf_secret(value: str | None) -> bool:
    """A cookie Django would keep as it is (anything else makes it issue a new one)."""
    return value is not None and _SECRET.fullmatch(value) is not None


class VersionReader:
    """`cache.get(VERSION_KEY)`, for the file cache read from its file only when it is a new one.

    Django's FileBasedCache never rewrites a value's file in place (`set` and `add` write a new
    file and rename it over the old one; only `touch` writes in place, and nothing touches the
    version). The reader keeps the file it last read open, so no new file can be given that
    file's inode number: one stat() of the path, same device and inode, tells that the value
    read is still the current one (about 1 us instead of reading and unpickling, about 7 us).
    """

    def __init__(self, cache):
        self.cache = cache
        self.path = cache._key_to_file(VERSION_KEY) if isinstance(cache, FileBasedCache) else None
        self._held = None  # (the file kept open, (st_dev, st_ino), expiry, value)
        self._lock = threading.Lock()

    def __call__(self) -> str | None:
        if self.path is None:
            return self.cache.get(VERSION_KEY)
        try:
            found = os.stat(self.path)
            held = self._held
            if held is None or held[1] != (found.st_dev, found.st_ino):
                held = self._read()
        except (FileNotFoundError, EOFError):
            return None
        expiry, value = held[2], held[3]
        if expiry is not None and expiry < time.time():
            return None
        return value

    def _read(self) -> tuple:
        file = open(self.path, "rb")  # noqa: SIM115 - kept open on purpose (see the class)
        try:
            opened = os.fstat(file.fileno())
            expiry = pickle.load(file)  # noqa: S301 - FileBasedCache's format: expiry, then the value  # nosec B301
            value = pickle.loads(zlib.decompress(file.read()))  # noqa: S301  # nosec B301
        except BaseException:
            file.close()
            raise
        held = (file, (opened.st_dev, opened.st_ino), expiry, value)
        with self._lock:
            previous, self._held = self._held, held
        if previous is not None:
            previous[0].close()
        return held


class CrcCarry:
    """`zlib.crc32(data, crc)` for one fixed `data` and any starting `crc`, in four table look-ups.

    CRC-32 is affine in its starting value: crc32(data, s) = L(s) ^ crc32(data, 0), with L linear
    over GF(2); L is tabulated a byte of `s` at a time from its 32 basis images. A replay carries
    the CRC across the page after the token this way instead of hashing the page again.
    """

    __slots__ = ("zero", "tables")

    def __init__(self, data: bytes):
        self.zero = zlib.crc32(data)
        basis = [zlib.crc32(data, 1 << bit) ^ self.zero for bit in range(32)]
        self.tables = []
        for byte in range(4):
            table = array("I", bytes(4 * 256))
            for value in range(1, 256):
                lowest = value & -value
                table[value] = table[value ^ lowest] ^ basis[8 * byte + lowest.bit_length() - 1]
            self.tables.append(table)

    def __call__(self, crc: int) -> int:
        first, second, third, fourth = self.tables
        return self.zero ^ first[crc & 0xFF] ^ second[(crc >> 8) & 0xFF] ^ third[(crc >> 16) & 0xFF] ^ fourth[crc >> 24]


@dataclass(frozen=True, slots=True)
class Page:
    version: str
    status: str
    headers: list[tuple[str, str]]
    parts: list[bytes]  # the HTML split at the CSRF marker
    deflated: list[bytes]  # each part compressed on its own, the last one finishing the stream
    prefix_crc: int  # CRC-32 of parts[0]
    carries: list[CrcCarry]  # across parts[1:], one each

    @classmethod
    def build(cls, *, version: str, status: str, headers: list, html: str, marker: str) -> "Page":
        parts = [part.encode() for part in html.split(marker)]
        deflated = []
        for index, part in enumerate(parts):
            compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            last = index == len(parts) - 1
            deflated.append(compressor.compress(part) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH))
        carries = [CrcCarry(part) for part in parts[1:]]
        return cls(version, status, headers, parts, deflated, zlib.crc32(parts[0]), carries)

    def body(self, csrf_input: bytes) -> bytes:
        return csrf_input.join(self.parts)

    def gzip_body(self, csrf_input: bytes) -> bytes:
        stored = b"\x00" + struct.pack("<HH", len(csrf_input), len(csrf_input) ^ 0xFFFF) + csrf_input
        chunks = [_GZIP_HEADER, self.deflated[0]]
        crc = self.prefix_crc
        size = len(self.parts[0])
        for part, deflated, carry in zip(self.parts[1:], self.deflated[1:], self.carries, strict=True):
            crc = carry(zlib.crc32(csrf_input, crc))
            size += len(csrf_input) + len(part)
            chunks += [stored, deflated]
        chunks.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
        return b"".join(chunks)


class MembersFastPath:
    def __init__(self, app, *, max_sessions=None, max_pages=None, clock=time.time):
        self.app = app
        self.clock = clock
        self.max_sessions = max_sessions or settings.MEMBERS_FASTPATH_MAX_SESSIONS
        self.max_pages = max_pages or settings.MEMBERS_FASTPATH_MAX_PAGES
        self.location = RequestLocation()
        self.trust_proxy = settings.TRUSTED_PROXY_COUNT > 0
        self.session_cookie = settings.SESSION_COOKIE_NAME
        self.csrf_cookie = settings.CSRF_COOKIE_NAME
        self._needle = self.session_cookie + "="
        self._read_version = VersionReader(caches[settings.PAGE_CACHE_ALIAS])
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
            ("X-Request-ID", choose_request_id(offered=environ.get("HTTP_X_REQUEST_ID"), trust_proxy=self.trust_proxy))
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
