"""Caches and the stored answers built on them (docs/architecture.md has the whole table)."""

import os

from .env import BASE_DIR, env_bool

# Caches: "default" holds sessions' helpers; "pages" holds
# rendered public pages and is cleared wholesale on publish. With REDIS_URL every
# worker shares both.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "clinic",
        },
        "pages": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "clinic-pages",
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    # "pages" also holds the page generation and the members access version: files in one
    # directory that every process shares (`make run`'s server and worker, `make serve`'s workers,
    # any manage.py command), so a rotation, revocation or publish made by any of them is seen by
    # all on their next request. Process memory here would keep the old answer for up to a minute.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "pages": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("PAGE_CACHE_DIR", str(BASE_DIR / "var" / "page-cache")),
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

PAGE_CACHE_ALIAS = "pages"
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "300"))
# Paths that are never stored in, or served from, the page cache.
PAGE_CACHE_EXCLUDED_PREFIXES = ("/admin/", "/django-admin/", "/members/", "/appointments/", "/api/", "/contact/")
# The WSGI fast path (caching/public_replay.py) replays repeated anonymous page-cache hits from each
# process's memory for this many seconds: a publish shows everywhere within it. 0 turns it off.
FASTPATH_SECONDS = float(os.environ.get("FASTPATH_SECONDS", "1"))
# Per process; the oldest entries make room.
FASTPATH_MAX_BYTES = int(os.environ.get("FASTPATH_MAX_BYTES", str(16 * 1024 * 1024)))
FASTPATH_MAX_ENTRIES = 1000
# Granted members pages replayed in front of Django after the same access decision, which every
# access change (rotation, revocation, leaving) or publish invalidates at once (caching/members_replay.py).
MEMBERS_FASTPATH = env_bool("MEMBERS_FASTPATH", True)
MEMBERS_FASTPATH_MAX_SESSIONS = 50_000  # per process: a session key and a time each
MEMBERS_FASTPATH_MAX_PAGES = 500

# Caches fail open: if Redis is down a cache read is a miss and a write is dropped, so public
# pages are still rendered (see clinic/cache_backends.py). Sessions keep the strict backend.
if REDIS_URL:
    for _alias in ("default", "pages"):
        CACHES[_alias]["BACKEND"] = "clinic.cache_backends.FailOpenRedisCache"
        CACHES[_alias]["OPTIONS"] = {
            "socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.25")),
            "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.25")),
        }
    # Throttle counters must never fail open: throttling/stores.py catches the errors of this
    # strict backend and keeps counting in process memory (see the README, "Brute force").
    CACHES["throttle"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "clinic-throttle",
        "OPTIONS": CACHES["default"]["OPTIONS"],
    }
    CACHES["sessions"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "clinic-sessions",
    }
    SESSION_CACHE_ALIAS = "sessions"

# How long nginx's microcache (deploy/nginx) may keep a public page: short, so no purge is needed.
PROXY_CACHE_SECONDS = int(os.environ.get("PROXY_CACHE_SECONDS", "1"))
# Path prefixes whose responses must never be kept by a shared cache, whatever a view says.
PRIVATE_PATH_PREFIXES = ("/admin/", "/django-admin/", "/members/", "/appointments/", "/api/", "/contact/")

# Throttle counters (throttling/): one store every worker process and host shares. Redis where
# configured, otherwise a database table; never one process's memory unless the store fails.
THROTTLING = {"STORE": "redis", "CACHE_ALIAS": "throttle"} if REDIS_URL else {"STORE": "database"}
