"""The one throttle primitive: windows, peek, refund, no raw addresses, and never failing open."""

import os
from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import RequestFactory

from throttling import stores
from throttling.limits import Limit, client_address, counter_name
from throttling.models import Counter
from throttling.purge import purge_expired

NOW = 1_800_000_000.0
STORES = ["database"] + (["redis"] if os.environ.get("REDIS_URL") else [])


@pytest.fixture(params=STORES)
def store(request, settings, db):
    if request.param == "redis":
        settings.THROTTLING = {"STORE": "redis", "CACHE_ALIAS": "throttle"}
    else:
        settings.THROTTLING = {"STORE": "database"}
    yield request.param
    stores.fallback.clear()


def test_a_window_allows_the_limit_then_refuses_until_it_ends(store):
    limit = Limit("test", limit=3, seconds=60)
    decisions = [limit.hit("203.0.113.1", now=NOW + i) for i in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.hits for d in decisions] == [1, 2, 3, 4, 5]
    assert decisions[-1].retry_after == 60 - 4  # the window opened with the first hit
    assert limit.hit("203.0.113.2", now=NOW + 5).allowed  # another client has its own window
    assert Limit("other", limit=3, seconds=60).hit("203.0.113.1", now=NOW + 5).allowed  # and another scope
    fresh = limit.hit("203.0.113.1", now=NOW + 60)
    assert fresh.allowed and fresh.hits == 1


def test_peek_counts_nothing_and_refund_gives_a_hit_back(store):
    limit = Limit("test", limit=2, seconds=60)
    assert limit.peek("c", now=NOW).allowed and limit.peek("c", now=NOW).hits == 0
    limit.hit("c", now=NOW)
    limit.hit("c", now=NOW)
    assert not limit.peek("c", now=NOW + 1).allowed
    limit.refund("c", now=NOW + 1)
    assert limit.peek("c", now=NOW + 1).allowed
    assert limit.hit("c", now=NOW + 1).allowed and not limit.hit("c", now=NOW + 1).allowed
    limit.refund("c", now=NOW + 61)  # a refund after the window ended changes nothing
    assert limit.peek("c", now=NOW + 61).hits == 0


def test_counters_hold_no_raw_address(settings, db):
    settings.THROTTLING = {"STORE": "database"}
    Limit("gate", limit=5, seconds=60).hit("203.0.113.77", now=NOW)
    names = list(Counter.objects.values_list("name", flat=True))
    assert names == [counter_name("gate", "203.0.113.77")]
    assert "203.0.113.77" not in names[0]


def test_a_failing_database_counts_in_memory_instead_of_letting_everyone_through(settings, db):
    settings.THROTTLING = {"STORE": "database"}
    limit = Limit("test", limit=2, seconds=60)
    broken = mock.patch.multiple(
        stores.DatabaseStore,
        hit=mock.Mock(side_effect=DatabaseError("database is locked")),
        get=mock.Mock(side_effect=DatabaseError("database is locked")),
    )
    try:
        with broken:
            assert [limit.hit("c", now=NOW).allowed for _ in range(3)] == [True, True, False]
            assert not limit.peek("c", now=NOW).allowed
    finally:
        stores.fallback.clear()


def test_redis_down_counts_in_memory(settings):
    settings.CACHES = {
        **settings.CACHES,
        "dead": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2},
        },
    }
    settings.THROTTLING = {"STORE": "redis", "CACHE_ALIAS": "dead"}
    limit = Limit("test", limit=2, seconds=60)
    try:
        assert [limit.hit("c", now=NOW).allowed for _ in range(3)] == [True, True, False]
    finally:
        stores.fallback.clear()


def test_the_purge_drops_ended_windows_only(settings, db):
    settings.THROTTLING = {"STORE": "database"}
    Limit("short", limit=5, seconds=60).hit("a", now=NOW)
    Limit("long", limit=5, seconds=3600).hit("a", now=NOW)
    assert purge_expired(now=NOW + 120) == 1
    assert [name.split(":")[0] for name in Counter.objects.values_list("name", flat=True)] == ["long"]


def test_the_client_address_is_remote_addr_never_a_forwarded_header():
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_address(request) == "198.51.100.4"
