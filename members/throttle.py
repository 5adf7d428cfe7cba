"""Brute-force limits for the members gate, on the shared throttle primitive (throttling.limits).

Per client address, and per returning device: after N failures inside a window the client is
refused until the window ends. Site-wide: past a failure count every stranger is refused for a
while and the admins are told once. A device that has entered before (members.devices) is not
a stranger: it keeps its own per-device and per-address limits, so the site-wide limit cannot
be turned into a lockout of every patient by someone guessing from many addresses. Personal
passes are checked by the view even for strangers (a keyed digest, no argon2).

The counters live in the store every worker shares and never fail open (throttling.stores).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from throttling.limits import Limit

DEFAULTS = {
    "CLIENT_FAILURES": 10,
    "CLIENT_WINDOW_SECONDS": 15 * 60,
    "SITE_FAILURES": 200,
    "SITE_WINDOW_SECONDS": 10 * 60,
    "DEVICE_COOKIE_DAYS": 180,
}
SITE = "site"  # the one identity the site-wide counter is kept for


def config() -> dict:
    return {**DEFAULTS, **getattr(settings, "MEMBERS_THROTTLE", {})}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # seconds
    scope: str = ""  # "client" or "site" when refused
    first_refusal: bool = False  # the first refusal of this client in its window (for daily counts)


def _client_limit(cfg: dict) -> Limit:
    return Limit("members-fail", limit=cfg["CLIENT_FAILURES"], seconds=cfg["CLIENT_WINDOW_SECONDS"])


def _device_limit(cfg: dict) -> Limit:
    return Limit("members-device-fail", limit=cfg["CLIENT_FAILURES"], seconds=cfg["CLIENT_WINDOW_SECONDS"])


def _site_limit(cfg: dict) -> Limit:
    return Limit("members-site-fail", limit=cfg["SITE_FAILURES"], seconds=cfg["SITE_WINDOW_SECONDS"])


def check(*, client: str, device: str | None = None, now: float | None = None) -> Decision:
    """May this client try now? Counter reads only, no hashing.

    `device` is the id of a returning device (its signed cookie); None for a stranger.
    """
    cfg = config()
    # The client's own limits first: they hold for pass codes too, which pass the site-wide one.
    for ident, limit in ((client, _client_limit(cfg)), (device, _device_limit(cfg))):
        if ident is None:
            continue
        state = limit.peek(ident, now=now)
        if not state.allowed:
            return Decision(False, state.retry_after, "client", _first_refusal(client, cfg, now))
    if device is None:
        site = _site_limit(cfg).peek(SITE, now=now)
        if not site.allowed:
            return Decision(False, site.retry_after, "site", _first_refusal(client, cfg, now))
    return Decision(True)


def site_refusing_for(*, now: float | None = None) -> int:
    """Seconds until the site-wide limit lets strangers try again (0: not refusing). Reads only."""
    return site_state(now=now)["refusing_seconds"]


def site_state(*, now: float | None = None) -> dict:
    """The site-wide limit as the staff screen shows it: failures in the current window, the limit,
    the window's length, and how long strangers are still refused (0: not refusing)."""
    cfg = config()
    site = _site_limit(cfg).peek(SITE, now=now)
    return {
        "failures": site.hits,
        "limit": cfg["SITE_FAILURES"],
        "window_minutes": round(cfg["SITE_WINDOW_SECONDS"] / 60),
        "refusing_seconds": 0 if site.allowed else site.retry_after,
    }


def _first_refusal(client: str, cfg: dict, now: float | None) -> bool:
    refusals = Limit("members-refused", limit=1, seconds=cfg["CLIENT_WINDOW_SECONDS"])
    if refusals.peek(client, now=now).hits:
        return False  # a read, not a write, for each further refused guess
    return refusals.hit(client, now=now).hits == 1


def record_failure(*, client: str, device: str | None = None, now: float | None = None) -> bool:
    """Count a failed attempt. Returns True the first time the site-wide limit is crossed
    in a window (the caller tells the admins, once)."""
    cfg = config()
    _client_limit(cfg).hit(client, now=now)
    if device is not None:
        _device_limit(cfg).hit(device, now=now)
    site = _site_limit(cfg).hit(SITE, now=now)
    if site.hits >= cfg["SITE_FAILURES"]:
        alerted = Limit("members-site-alerted", limit=1, seconds=cfg["SITE_WINDOW_SECONDS"] * 6)
        return alerted.hit(SITE, now=now).allowed
    return False
