"""Drill: Redis is unreachable (REDIS_URL pointing at a closed port)."""

import socket
import time

import pytest
from django.core.cache import caches

from clinic.cache_backends import FailOpenRedisCache, strict_cache


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends


@pytest.fixture
def redis_down(settings):
    location = f"redis://127.0.0.1:{closed_port()}/3"
    options = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    settings.CACHES = {
        "default": {"BACKEND": "clinic.cache_backends.FailOpenRedisCache", "LOCATION": location, "OPTIONS": options},
        "pages": {"BACKEND": "clinic.cache_backends.FailOpenRedisCache", "LOCATION": location, "OPTIONS": options},
        "sessions": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location},
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.SESSION_CACHE_ALIAS = "sessions"
    return location


def test_the_fail_open_cache_misses_drops_and_forgets_without_raising(redis_down):
    cache = caches["default"]
    assert isinstance(cache, FailOpenRedisCache)
    assert cache.get("k", "fallback") == "fallback"
    assert cache.set("k", "v") is None
    assert cache.add("k", "v") is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.delete("k") is False
    assert cache.clear() is False


def test_strict_callers_see_the_outage(redis_down):
    from redis.exceptions import ConnectionError as RedisConnectionError

    with pytest.raises(RedisConnectionError):
        strict_cache("default").get("k")
    with pytest.raises(RedisConnectionError):
        caches["default"].incr("counter")


def test_public_pages_are_still_served_while_redis_is_down(client, demo_content, redis_down):
    started = time.perf_counter()
    for path in ("/", "/sciatica/", "/privacy/", "/sitemap.xml", "/robots.txt"):
        response = client.get(path)
        assert response.status_code == 200, path
    # Each call gives up quickly (connect timeout), so pages stay usable, not just alive.
    assert time.perf_counter() - started < 15
    assert client.get("/healthz").status_code == 503


def test_sessions_fail_safe_anonymous_reads_and_a_clear_503_on_sign_in(client, demo_content, redis_down):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("editor", "editor@clinic.example", "correct horse battery staple")
    # Django's cache session store treats an unreadable session as empty: nobody is signed in,
    # so nobody sees what a session would grant (a members grant, the admin).
    client.cookies["sessionid"] = "x" * 32
    assert client.get("/sciatica/").status_code == 200
    assert client.get("/admin/").status_code == 302
    # Writing a session (signing in) cannot succeed; the visitor gets a clear 503, not a 500.
    response = client.post("/admin/login/", {"username": "editor", "password": "correct horse battery staple"})
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
