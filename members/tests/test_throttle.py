"""Unit tests: the gate's limits (per client, per returning device, site-wide, store outage) with time travel."""

from unittest import mock

import pytest
from django.db import DatabaseError

from members import throttle
from throttling import stores
from throttling.models import Counter

NOW = 1_800_000_000.0
pytestmark = pytest.mark.django_db


def fail(client: str, times: int, now: float = NOW, device: str | None = None) -> None:
    for _ in range(times):
        throttle.record_failure(client=client, device=device, now=now)


def test_ten_failures_in_fifteen_minutes_refuse_the_client_until_the_window_ends():
    client = "203.0.113.5"
    fail(client, 9)
    assert throttle.check(client=client, now=NOW + 60).allowed
    fail(client, 1, NOW + 60)
    decision = throttle.check(client=client, now=NOW + 120)
    assert not decision.allowed and decision.scope == "client"
    assert decision.retry_after == 15 * 60 - 120
    assert decision.first_refusal
    assert not throttle.check(client=client, now=NOW + 130).first_refusal
    assert throttle.check(client="203.0.113.6", now=NOW + 120).allowed
    assert throttle.check(client=client, now=NOW + 15 * 60).allowed  # the window has ended


def test_site_wide_limit_refuses_strangers_and_alerts_once(settings):
    settings.MEMBERS_THROTTLE = {"SITE_FAILURES": 20, "CLIENT_FAILURES": 10}
    alerts = [throttle.record_failure(client=f"192.0.2.{i}", now=NOW) for i in range(25)]
    assert alerts.count(True) == 1 and alerts.index(True) == 19
    decision = throttle.check(client="192.0.2.200", now=NOW)
    assert not decision.allowed and decision.scope == "site" and decision.retry_after > 0
    assert throttle.site_refusing_for(now=NOW) == decision.retry_after
    assert throttle.site_state(now=NOW) == {
        "failures": 25,
        "limit": 20,
        "window_minutes": 10,
        "refusing_seconds": 600,
    }


def test_a_returning_device_may_still_try_while_strangers_are_refused(settings):
    settings.MEMBERS_THROTTLE = {"SITE_FAILURES": 5}
    fail("192.0.2.1", 5)
    assert throttle.check(client="192.0.2.50", now=NOW).scope == "site"
    assert throttle.check(client="192.0.2.50", device="device-a", now=NOW).allowed


def test_a_returning_device_is_limited_on_its_own_across_addresses(settings):
    """One copied device cookie does not give a botnet unlimited guesses past the site-wide limit."""
    settings.MEMBERS_THROTTLE = {"SITE_FAILURES": 5, "CLIENT_FAILURES": 3}
    for i in range(3):
        throttle.record_failure(client=f"198.51.100.{i}", device="copied", now=NOW)
    decision = throttle.check(client="198.51.100.99", device="copied", now=NOW)
    assert not decision.allowed and decision.scope == "client"
    assert throttle.check(client="198.51.100.99", device="another", now=NOW).allowed


def test_no_raw_address_in_the_stored_counters(settings):
    settings.THROTTLING = {"STORE": "database"}  # the names are the same in Redis
    throttle.record_failure(client="203.0.113.77", now=NOW)
    names = list(Counter.objects.values_list("name", flat=True))
    assert names, "the failure was recorded in the shared store"
    assert not [name for name in names if "203.0.113.77" in name]


def test_a_store_outage_falls_back_to_counting_in_process():
    broken = DatabaseError("database is locked")
    try:
        with mock.patch.multiple(
            stores.DatabaseStore, hit=mock.Mock(side_effect=broken), get=mock.Mock(side_effect=broken)
        ):
            fail("203.0.113.50", 10)
            decision = throttle.check(client="203.0.113.50", now=NOW + 1)
        assert not decision.allowed  # still throttled: an outage is not a free-for-all
    finally:
        stores.fallback.clear()
