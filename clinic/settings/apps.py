"""Installed apps, the middleware (read top to bottom, then the inserts that wrap it), URLs and templates."""

from .env import BASE_DIR

INSTALLED_APPS = [
    # Project apps first so their templates override third-party ones.
    "pages",
    "members",
    "appointments",
    "throttling",
    "caching",
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
    "caching.middleware.PageCacheGenerationMiddleware",
    "caching.middleware.PageCacheUpdateMiddleware",
    "caching.middleware.PageCacheFetchMiddleware",
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
