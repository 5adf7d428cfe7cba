"""Local development: DEBUG on, a fixed throwaway key, mail printed to the console."""

import os

from .base import *  # noqa: F403

# `make run` keeps its own database, apart from the ./db.sqlite3 that `make serve` (production
# settings) serves: the development admin's published password must never reach a served database.
if "SQLITE_PATH" not in os.environ and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    SQLITE_PATH = BASE_DIR / "var" / "dev.sqlite3"  # noqa: F405
    SQLITE_PATH.parent.mkdir(exist_ok=True)
    DATABASES["default"]["NAME"] = str(SQLITE_PATH)  # noqa: F405

DEBUG = True
SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 - development only  # nosec B105
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
INTERNAL_IPS = ["127.0.0.1"]
# The development members-password encryption key; production reads its own.
MEMBERS_ENCRYPTION_KEYS = ["Zv0y4m9s0c9J2m6l8XwF5n3pQ1tR7uE4iO0aS2dF6gI="]

# Serve static files straight from the source folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
