"""Unit tests: the gate's throttle (per client, site-wide, proxies, cache outage) with time travel."""

from unittest import mock

import pytest
from django.core.cache import caches

from members import throttle

NOW = 1_800_000_000.0


def fail(client: str, times: int, now: float = NOW) -> None:
    for _ in range(times):
        throttle.record_failure(client=client, now=now)


def test_ten_failures_in_fifteen_minutes_refuse_the_client_until_the_window_ends():
    client = throttle.client_key("203.0.113.5")
    fail(client, 9)
    assert throttle.check(client=client, now=NOW + 60).allowed
    fail(client, 1, NOW + 60)
    decision = throttle.check(client=client, now=NOW + 120)
    assert not decision.allowed and decision.scope == "client"
    assert decision.retry_after == 15 * 60 - 120
    assert decision.first_refusal
    assert not throttle.check(client=client, now=NOW + 130).first_refusal
    other = throttle.client_key("203.0.113.6")
    assert throttle.check(client=other, now=NOW + 120).allowed


def test_the_window_expires(settings):
    # The cache expires keys in real time, so a window of 1 second shows it.
    import time

    settings.MEMBERS_THROTTLE = {"CLIENT_FAILURES": 2, "CLIENT_WINDOW_SECONDS": 1}
    client = throttle.client_key("198.51.100.1")
    fail(client, 2, time.time())
    assert not throttle.check(client=client).allowed
    time.sleep(1.2)
    assert throttle.check(client=client).allowed


def test_site_wide_limit_refuses_everyone_and_alerts_once(settings):
    settings.MEMBERS_THROTTLE = {"SITE_FAILURES": 20, "CLIENT_FAILURES": 10}
    alerts = [throttle.record_failure(client=throttle.client_key(f"192.0.2.{i}"), now=NOW) for i in range(25)]
    assert alerts.count(True) == 1 and alerts.index(True) == 19
    decision = throttle.check(client=throttle.client_key("192.0.2.200"), now=NOW)
    assert not decision.allowed and decision.scope == "site" and decision.retry_after > 0


def test_no_raw_address_in_cache_keys():
    address = "203.0.113.77"
    key = throttle.client_key(address)
    assert address not in key and len(key) == 32
    throttle.record_failure(client=key, now=NOW)
    store = caches[throttle.config()["CACHE_ALIAS"]]
    if isinstance(getattr(store, "_cache", None), dict):  # LocMemCache
        stored_keys = list(store._cache)
    else:  # RedisCache
        stored_keys = store._cache.get_client(None, write=False).keys("*")
    assert stored_keys, "the failure was recorded somewhere"
    assert not [key for key in stored_keys if address in str(key)]


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("10.0.0.1", "203.0.113.9", 0, "10.0.0.1"),  # header ignored without a trusted proxy
        ("10.0.0.1", "203.0.113.9", 1, "203.0.113.9"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),  # a forged left-hand entry is ignored
        ("10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", 2, "203.0.113.9"),
        ("10.0.0.1", "", 1, "10.0.0.1"),
    ],
)
def test_client_address(remote, forwarded, trusted, expected):
    assert throttle.client_address(remote_addr=remote, forwarded_for=forwarded, trusted_proxy_count=trusted) == expected


def test_cache_outage_falls_back_to_counting_in_process():
    client = throttle.client_key("203.0.113.50")
    broken = mock.MagicMock()
    for method in ("get", "add", "incr"):
        getattr(broken, method).side_effect = ConnectionError("redis is down")
    with mock.patch.object(throttle._Store, "__init__", lambda self: setattr(self, "cache", broken)):
        fail(client, 10)
        decision = throttle.check(client=client, now=NOW + 1)
    assert not decision.allowed  # still throttled: an outage is not a free-for-all
    throttle._fallback.clear()
