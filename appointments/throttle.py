"""A small fixed-window throttle per client address, kept in the default cache."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def client_address(request) -> str:
    """REMOTE_ADDR, or the address our trusted proxies saw when TRUSTED_PROXY_COUNT says there are some."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(*, key: str, limit: int, per_seconds: int, now: float | None = None) -> bool:
    """Count one attempt for key; False once the window's limit is used up."""
    window = int((now or time.time()) // per_seconds)
    cache_key = "throttle:" + hashlib.sha256(f"{key}:{window}".encode()).hexdigest()
    if cache.add(cache_key, 1, per_seconds + 5):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.set(cache_key, 1, per_seconds + 5)
        count = 1
    return count <= limit


def allow(request, *, scope: str, limit: int, per_seconds: int) -> bool:
    return hit(key=f"{scope}:{client_address(request)}", limit=limit, per_seconds=per_seconds)
