"""The one throttle primitive: at most `limit` hits per `seconds`, counted for a scope and a client.

    decision = Limit("api-book", limit=10, seconds=60).hit(client_address(request))
    if not decision.allowed: ... 429, Retry-After: decision.retry_after

`hit` counts and answers; `peek` answers without counting (a check before costly work);
`refund` takes back a hit whose work did not happen. Counters live in the shared store
(throttling.stores): Redis with REDIS_URL, otherwise the database; never only one process's
memory unless the shared store fails, and then memory rather than no limit at all.
Counter names are a keyed hash of scope and client, so no address is stored anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass

from django.conf import settings

from .stores import FailSafeStore, Window


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, which the trusted-proxy middleware has already settled.

    Nothing else here reads X-Forwarded-For: one place decides how far proxies are trusted.
    """
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def counter_name(scope: str, ident: str) -> str:
    key = hashlib.sha256(b"throttling:" + settings.SECRET_KEY.encode()).digest()
    digest = hmac.new(key, f"{scope}\n{ident}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{scope[:40]}:{digest}"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    hits: int  # in the current window, this one included when counted
    limit: int
    retry_after: int  # whole seconds until the window ends (at least 1 when refused)


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    seconds: float

    def hit(self, ident: str, *, now: float | None = None) -> Decision:
        """Count one hit; allowed while the window holds at most `limit` of them."""
        now = time.time() if now is None else now
        window = FailSafeStore().hit(counter_name(self.scope, ident), seconds=self.seconds, now=now)
        return self._decide(window, allowed=window.hits <= self.limit, now=now)

    def peek(self, ident: str, *, now: float | None = None) -> Decision:
        """Would one more hit be allowed? Counts nothing."""
        now = time.time() if now is None else now
        window = FailSafeStore().get(counter_name(self.scope, ident), now=now)
        return self._decide(window, allowed=window.hits < self.limit, now=now)

    def refund(self, ident: str, *, now: float | None = None) -> None:
        """Take back one hit of the current window (the work it allowed did not happen)."""
        now = time.time() if now is None else now
        FailSafeStore().refund(counter_name(self.scope, ident), now=now)

    def _decide(self, window: Window, *, allowed: bool, now: float) -> Decision:
        retry = max(math.ceil(window.expires_at - now), 1) if window.expires_at else 0
        return Decision(allowed=allowed, hits=window.hits, limit=self.limit, retry_after=retry)
