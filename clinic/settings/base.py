"""Settings shared by every environment. Environment-specific files import * from here."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


INSTALLED_APPS = [
    # Project apps first so their templates override third-party ones.
    "pages",
    "members",
    "appointments",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.frontend_cache",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "axes",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses each response on its way out (Django pads the gzip header against
    # BREACH); the page cache, inside it, stores the plain text.
    "django.middleware.gzip.GZipMiddleware",
    # The page cache sits outermost so a hit skips sessions, database and templates;
    # the headers below were applied when the page was stored. Stored pages are kept per
    # page cache generation, read first (see the middleware).
    "clinic.middleware.PageCacheGenerationMiddleware",
    "clinic.middleware.PageCacheUpdateMiddleware",
    "clinic.middleware.PageCacheFetchMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "clinic.middleware.ContentSecurityPolicyMiddleware",
    "clinic.middleware.SecurityHeadersMiddleware",
    # Members pages for a granted session, from their stored copy after the access check
    # (inside the session, CSRF and header middleware, so the response gets the same headers;
    # before the time zone, which a stored copy does not need).
    "members.page_cache.MembersPageCacheMiddleware",
    "clinic.middleware.ClinicTimezoneMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # AxesMiddleware must stay last (django-axes documentation).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# Database: SQLite is the embedded default; DATABASE_URL switches to PostgreSQL.
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", BASE_DIR / "db.sqlite3"))
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
    # timeout instead of failing with "database is locked" half-way through.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches: "default" holds throttle counters and sessions' helpers; "pages" holds
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
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
        "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"},
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

PAGE_CACHE_ALIAS = "pages"
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "300"))
# Paths that are never stored in, or served from, the page cache.
PAGE_CACHE_EXCLUDED_PREFIXES = ("/admin/", "/django-admin/", "/members/", "/appointments/", "/api/", "/contact/")
# The WSGI fast path (clinic/fastpath.py) replays repeated anonymous page-cache hits from each
# process's memory for this many seconds: a publish shows everywhere within it. 0 turns it off.
FASTPATH_SECONDS = float(os.environ.get("FASTPATH_SECONDS", "1"))
# Per process; the oldest entries make room.
FASTPATH_MAX_BYTES = int(os.environ.get("FASTPATH_MAX_BYTES", str(16 * 1024 * 1024)))
FASTPATH_MAX_ENTRIES = 1000
# Granted members pages replayed in front of Django after the same access decision, which every
# access change (rotation, revocation, leaving) or publish invalidates at once (members/fastpath.py).
MEMBERS_FASTPATH = env_bool("MEMBERS_FASTPATH", True)
MEMBERS_FASTPATH_MAX_SESSIONS = 50_000  # per process: a session key and a time each
MEMBERS_FASTPATH_MAX_PAGES = 500

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "wagtailadmin_login"

# django-axes: lock a staff login after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A page that says what happened and who can lift it (axes' default is one bare line of text).
AXES_LOCKOUT_TEMPLATE = "staff_security/locked_out.html"

# Internationalisation: English now, Japanese planned; strings are marked for translation.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Fallback only: each request activates the clinic's own time zone from clinic settings.
TIME_ZONE = os.environ.get("CLINIC_TIME_ZONE", "Europe/London")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# In production the web server (nginx) serves MEDIA_ROOT; `make serve` has none in
# front, so it sets SERVE_MEDIA=1 and Django serves uploaded images itself.
SERVE_MEDIA = env_bool("SERVE_MEDIA", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Wagtail
WAGTAIL_SITE_NAME = "Clinic"
WAGTAILADMIN_BASE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "svg"]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILFRONTENDCACHE = {}  # filled by production settings when a CDN/proxy is configured
WAGTAIL_I18N_ENABLED = False

# Tasks: Wagtail's own work (cache purges, search index) runs immediately; patient
# mail goes through the durable "outbox" backend that a worker drains.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "outbox": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]},
}

# Email
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "clinic@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Clinic admin", addr) for addr in env_list("ADMIN_EMAILS")]

# Security headers that hold in every environment.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

# Strict CSP for the public site, members area and booking: no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# The Wagtail admin writes inline script (date widgets) and previews pages in a
# same-origin iframe, so it gets its own workable policy.
ADMIN_PATH_PREFIXES = ("/admin/", "/django-admin/")
ADMIN_CONTENT_SECURITY_POLICY = {
    "default-src": [SELF],
    "script-src": [SELF, "'unsafe-inline'"],
    "style-src": [SELF, "'unsafe-inline'"],
    "img-src": [SELF, "data:", "blob:"],
    "font-src": [SELF, "data:"],
    "connect-src": [SELF],
    "form-action": [SELF],
    "frame-src": [SELF],
    "frame-ancestors": [SELF],
    "base-uri": [SELF],
    "object-src": [NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Task start/finish lines for every search-index update drown out real messages.
        "django_tasks": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Client addresses: REMOTE_ADDR unless a trusted reverse proxy in front of us sets
# X-Forwarded-For. The number of proxies we trust to append to that header:
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Where demo content and the patient-facing site link to.
SITE_URL = WAGTAILADMIN_BASE_URL

# `manage.py load_demo_content` calls each of these in order; each is idempotent.
DEMO_CONTENT_LOADERS = [
    "pages.demo.loader.load",
    "members.demo.load",
    "appointments.demo.load",
]

# ---- members ----
# Documents go through Django so the before_serve_document hook can guard members files.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# The shared password: three short words and two digits, e.g. "maple-otter-kettle-42".
MEMBERS_PASSWORD_FORMAT = {"WORDS": 3, "DIGITS": 2}
# argon2-cffi parameters (its defaults: time_cost=3, memory_cost=65536 KiB, parallelism=4).
MEMBERS_ARGON2_PARAMETERS = {}
# Brute-force limits for the members gate (see members/throttle.py and the README).
MEMBERS_THROTTLE = {
    "CLIENT_FAILURES": int(os.environ.get("MEMBERS_CLIENT_FAILURES", "10")),
    "CLIENT_WINDOW_SECONDS": 15 * 60,
    "SITE_FAILURES": int(os.environ.get("MEMBERS_SITE_FAILURES", "200")),
    "SITE_WINDOW_SECONDS": 10 * 60,
    "CACHE_ALIAS": "throttle",
}
MEMBERS_COLLECTION_NAME = "Members only"
# The access check's snapshot of passwords and passes (members/access_state.py) is replaced by a
# new version on every change; this only bounds one left over after a Redis outage lost a version.
MEMBERS_ACCESS_CACHE_SECONDS = 60

# ---- appointments ----
# The outbox worker (`manage.py outbox_worker`) retries failed mail with exponential backoff and
# re-queues tasks a killed worker left running for longer than the lease.
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "10"))
OUTBOX_BACKOFF_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_SECONDS", "30"))
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "600"))
# The most waitlist offers one patient (email address) is sent in 24 hours.
WAITLIST_OFFERS_PER_DAY = int(os.environ.get("WAITLIST_OFFERS_PER_DAY", "3"))
# Per client address and minute.
APPOINTMENTS_API_READS_PER_MINUTE = int(os.environ.get("APPOINTMENTS_API_READS_PER_MINUTE", "120"))
APPOINTMENTS_API_BOOKINGS_PER_MINUTE = int(os.environ.get("APPOINTMENTS_API_BOOKINGS_PER_MINUTE", "10"))
# ---- prod (issue 5: production path, security, reliability) ----
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "staff_security",
    "ops",
]
# The request id and the shared-cache guard wrap everything else (they see the final response);
# the trusted-proxy address fix comes before anything reads REMOTE_ADDR (axes, throttles, logs).
MIDDLEWARE.insert(0, "clinic.logging.RequestIdMiddleware")
MIDDLEWARE.insert(1, "clinic.proxy.SharedCacheGuardMiddleware")
MIDDLEWARE.insert(2, "clinic.proxy.TrustedProxyMiddleware")
MIDDLEWARE.insert(3, "clinic.cache_backends.CacheOutageMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
    "staff_security.middleware.StaffTwoFactorMiddleware",
)

# Two-factor authentication (TOTP) for every account that reaches /admin/ or /django-admin/.
# Off by default so `make run` stays one command; production turns it on (see production.py).
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", False)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Clinic")
# The axes lockout and the client address it counts come from one place: TrustedProxyMiddleware
# has already put the real client into REMOTE_ADDR, so axes must not read X-Forwarded-For itself.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# Caches fail open: if Redis is down a cache read is a miss and a write is dropped, so public
# pages are still rendered (see clinic/cache_backends.py). Sessions keep the strict backend.
if REDIS_URL:
    for _alias in ("default", "pages"):
        CACHES[_alias]["BACKEND"] = "clinic.cache_backends.FailOpenRedisCache"
        CACHES[_alias]["OPTIONS"] = {
            "socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.25")),
            "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.25")),
        }
    # Throttle counters must never fail open: members/throttle.py catches the errors of this
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

# CDN / shared-proxy purging on publish (wagtail.contrib.frontend_cache): an HTTP PURGE
# endpoint (Varnish, nginx cache_purge, Fastly-style) and/or Cloudflare, from the environment.
if os.environ.get("FRONTEND_CACHE_PURGE_URL"):
    WAGTAILFRONTENDCACHE["http"] = {
        "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
        "LOCATION": os.environ["FRONTEND_CACHE_PURGE_URL"],
    }
if os.environ.get("CLOUDFLARE_ZONE_ID") and os.environ.get("CLOUDFLARE_API_TOKEN"):
    WAGTAILFRONTENDCACHE["cloudflare"] = {
        "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudflareBackend",
        "ZONEID": os.environ["CLOUDFLARE_ZONE_ID"],
        "BEARER_TOKEN": os.environ["CLOUDFLARE_API_TOKEN"],
    }
# How long nginx's microcache (deploy/nginx) may keep a public page: short, so no purge is needed.
PROXY_CACHE_SECONDS = int(os.environ.get("PROXY_CACHE_SECONDS", "1"))
# Path prefixes whose responses must never be kept by a shared cache, whatever a view says.
PRIVATE_PATH_PREFIXES = ("/admin/", "/django-admin/", "/members/", "/appointments/", "/api/", "/contact/")

# A load balancer probes /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# /.well-known/security.txt: contact defaults to the clinic's email from clinic settings.
SECURITY_CONTACT = os.environ.get("SECURITY_CONTACT", "")
SECURITY_POLICY_URL = os.environ.get("SECURITY_POLICY_URL", "")

# Backups (`manage.py backup` / `restore`): where archives go unless --output says otherwise.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", BASE_DIR / "var" / "backups"))

# Structured logs: LOG_FORMAT=json (production default) or plain; both carry the request id.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING["filters"] = {"request_id": {"()": "clinic.logging.RequestIdFilter"}}
LOGGING["formatters"]["plain"]["format"] = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
LOGGING["formatters"]["json"] = {"()": "clinic.logging.JsonFormatter"}
LOGGING["handlers"]["console"]["filters"] = ["request_id"]
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_FORMAT == "json" else "plain"
