"""Test settings: fast hashing, mail to memory, an in-memory SQLite unless DATABASE_URL is set."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-insecure-key"  # noqa: S105 - tests only  # nosec B105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEMBERS_ENCRYPTION_KEYS = ["3q2gkGz0nB8ZcYb2mN7vT4xR1sW9eP6aL5kJ0hD8fQ4="]
MEDIA_ROOT = Path(os.environ.get("TEST_MEDIA_ROOT", "/tmp/clinic-test-media"))  # noqa: F405, S108 - tests only  # nosec B108
AXES_ENABLED = True

# Serve static files straight from the source folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Each test process keeps its page cache in memory (fast, nothing shared with another run), unlike
# `make run`; the cross-process tests (tests/test_cross_process.py) set PAGE_CACHE_DIR to share
# files between the server and the commands, as `make run` does.
if not REDIS_URL and "PAGE_CACHE_DIR" not in os.environ:  # noqa: F405
    CACHES["pages"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"}  # noqa: F405

# ---- appointments ----
# A file, not SQLite's shared-cache memory database: threads in the booking concurrency test need
# real locking (shared cache fails at once with "table is locked" instead of waiting its turn).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"clinic-test-{os.getpid()}.sqlite3")  # noqa: F405
    }
