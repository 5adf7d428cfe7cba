"""Brute-force protection for the members gate: pure logic over the Django cache, no HTTP.

Per client: after N failures inside a window the client is refused until the window ends.
Site-wide: past a failure rate every attempt is refused for a while and the admins are told once.
Clients are keyed by a keyed hash of their address, so the cache never holds a raw IP, and
every key expires with its window.

If the cache backend fails (Redis down), we keep throttling with a per-process in-memory
store rather than letting every attempt through: an outage must not become an unlimited
guessing window. The price is that each worker then counts on its own (so the effective
limit is N x workers) until the cache is back; that is still bounded, and the gate keeps
working for patients, which refusing everyone would not.
"""

import hashlib
import hmac
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

logger = logging.getLogger(__name__)

DEFAULTS = {
    "CLIENT_FAILURES": 10,
    "CLIENT_WINDOW_SECONDS": 15 * 60,
    "SITE_FAILURES": 200,
    "SITE_WINDOW_SECONDS": 10 * 60,
    "CACHE_ALIAS": "default",
}

_fallback = LocMemCache("members-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})


def config() -> dict:
    return {**DEFAULTS, **getattr(settings, "MEMBERS_THROTTLE", {})}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # seconds
    scope: str = ""  # "client" or "site" when refused
    first_refusal: bool = False  # the first refusal of this client in its window (for daily counts)


def client_address(*, remote_addr: str, forwarded_for: str, trusted_proxy_count: int) -> str:
    """REMOTE_ADDR, or the address our own trusted proxies saw, never a client-supplied one.

    Each trusted proxy appends the address it received from, so the client is the entry
    `trusted_proxy_count` places from the right; anything further left can be forged.
    """
    if trusted_proxy_count > 0 and forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if len(hops) >= trusted_proxy_count:
            return hops[-trusted_proxy_count]
    return remote_addr or "unknown"


def client_key(address: str) -> str:
    key = hashlib.sha256(b"members-throttle:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


class _Store:
    """The configured cache, falling back to the in-process store if it raises."""

    def __init__(self):
        self.cache = caches[config()["CACHE_ALIAS"]]

    def _call(self, method: str, *args, **kwargs):
        try:
            return getattr(self.cache, method)(*args, **kwargs)
        except Exception:  # any backend error: Redis down, timeouts, serialisation
            logger.warning("members throttle: cache unavailable, counting in this process instead")
            return getattr(_fallback, method)(*args, **kwargs)

    def get(self, key, default=None):
        return self._call("get", key, default)

    def add(self, key, value, timeout):
        return self._call("add", key, value, timeout)

    def incr(self, key, *, timeout: int) -> int:
        self.add(key, 0, timeout)
        try:
            return self._call("incr", key)
        except ValueError:  # expired between add and incr
            self.add(key, 1, timeout)
            return 1


def _window(now: float, seconds: int) -> int:
    return int(now // seconds)


def _client_keys(client: str) -> tuple[str, str, str]:
    return (f"members:fail:{client}", f"members:fail-start:{client}", f"members:refused:{client}")


def check(*, client: str, now: float | None = None) -> Decision:
    """May this client try a password now? Cheap: cache reads only, no hashing."""
    cfg = config()
    now = time.time() if now is None else now
    store = _Store()
    site_retry = _site_retry(store, cfg, now)
    if site_retry:
        return Decision(False, site_retry, "site", _first_refusal(store, client, cfg))
    count_key, start_key, _ = _client_keys(client)
    failures = store.get(count_key, 0) or 0
    if failures >= cfg["CLIENT_FAILURES"]:
        started = store.get(start_key, now) or now
        retry = math.ceil(started + cfg["CLIENT_WINDOW_SECONDS"] - now)
        return Decision(False, max(retry, 1), "client", _first_refusal(store, client, cfg))
    return Decision(True)


def site_refusing_for(*, now: float | None = None) -> int:
    """Seconds until the site-wide limit lets patients try again (0: not refusing). Cache reads only."""
    return _site_retry(_Store(), config(), time.time() if now is None else now)


def _site_retry(store: _Store, cfg: dict, now: float) -> int:
    site_window = _window(now, cfg["SITE_WINDOW_SECONDS"])
    if (store.get(f"members:site-fail:{site_window}", 0) or 0) < cfg["SITE_FAILURES"]:
        return 0
    return max(math.ceil((site_window + 1) * cfg["SITE_WINDOW_SECONDS"] - now), 1)


def _first_refusal(store: _Store, client: str, cfg: dict) -> bool:
    return bool(store.add(_client_keys(client)[2], 1, cfg["CLIENT_WINDOW_SECONDS"]))


def record_failure(*, client: str, now: float | None = None) -> bool:
    """Count a failed attempt. Returns True the first time the site-wide limit is crossed
    in a window (the caller tells the admins, once)."""
    cfg = config()
    now = time.time() if now is None else now
    store = _Store()
    count_key, start_key, _ = _client_keys(client)
    # The client's window starts at its first failure and all its keys expire with it.
    store.add(start_key, now, cfg["CLIENT_WINDOW_SECONDS"])
    store.incr(count_key, timeout=cfg["CLIENT_WINDOW_SECONDS"])
    site_window = _window(now, cfg["SITE_WINDOW_SECONDS"])
    site_failures = store.incr(f"members:site-fail:{site_window}", timeout=cfg["SITE_WINDOW_SECONDS"] * 2)
    if site_failures >= cfg["SITE_FAILURES"]:
        return bool(store.add("members:site-alerted", 1, cfg["SITE_WINDOW_SECONDS"] * 6))
    return False
