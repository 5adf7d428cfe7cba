"""Wagtail, its CDN purging, the site URL and the demo content."""

import os

# Wagtail
WAGTAIL_SITE_NAME = "Clinic"
WAGTAILADMIN_BASE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "svg"]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILFRONTENDCACHE = {}  # filled by production settings when a CDN/proxy is configured
WAGTAIL_I18N_ENABLED = False

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

# Where demo content and the patient-facing site link to.
SITE_URL = WAGTAILADMIN_BASE_URL

# `manage.py load_demo_content` calls each of these in order; each is idempotent.
DEMO_CONTENT_LOADERS = [
    "pages.demo.loader.load",
    "members.demo.load",
    "appointments.demo.load",
]
