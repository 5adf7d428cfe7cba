"""Production: everything secret or site-specific comes from the environment.

HTTPS-only settings default to on; a plain-HTTP loopback run (`make serve`) turns
them off explicitly through the same environment variables.
"""

import base64
import hashlib
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_list

DEBUG = False

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment for production settings.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Comma-separated Fernet keys, newest first; see README "Rotating the encryption key".
# Without a dedicated key one is derived from SECRET_KEY, so a deploy always has one.
MEMBERS_ENCRYPTION_KEYS = env_list("MEMBERS_ENCRYPTION_KEYS") or [
    base64.urlsafe_b64encode(hashlib.sha256(f"members:{SECRET_KEY}".encode()).digest()).decode()
]

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is a one-way commitment for the whole domain and its subdomains, so
    # the clinic opts in deliberately (SECURE_HSTS_PRELOAD=1); until then the
    # reminder from `check --deploy` is expected, not a defect.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if not REDIS_URL:  # noqa: F405
    # The page cache is in files every worker shares already (base.py).
    # Sessions stay in the database, read through a cache every worker shares (files), so a
    # request that only needs its session (a members page from its stored copy) runs no query.
    # Every write goes to both, so leaving the members area counts at once on every worker.
    CACHES["sessions"] = {  # noqa: F405
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("SESSION_CACHE_DIR", str(BASE_DIR / "var" / "session-cache")),  # noqa: F405
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"

STORAGES = {
    # Members files (members-private/) get an access-checked URL instead of a /media/ one.
    "default": {"BACKEND": "members.storage.MediaStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

TEMPLATES[0]["OPTIONS"]["loaders"] = [  # noqa: F405
    (
        "django.template.loaders.cached.Loader",
        [
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    ),
]
TEMPLATES[0]["APP_DIRS"] = False  # noqa: F405

# ---- prod (issue 5) ----
# Every staff account signs in with a second factor unless the environment says otherwise.
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", True)
# One JSON object per log line for the log shipper; LOG_FORMAT=plain for a human at a terminal.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_FORMAT == "json" else "plain"  # noqa: F405
# HSTS preload is a commitment a clinic makes deliberately (removal from browsers' lists takes
# months), so it stays opt-in (SECURE_HSTS_PRELOAD=1) and its reminder is silenced until then.
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
