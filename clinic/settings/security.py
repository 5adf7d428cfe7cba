"""Security headers, CSP, trusted proxies and security.txt."""

import os

from csp.constants import NONE, SELF

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

# Client addresses: REMOTE_ADDR unless a trusted reverse proxy in front of us sets
# X-Forwarded-For. The number of proxies we trust to append to that header:
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# A load balancer probes /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# /.well-known/security.txt: contact defaults to the clinic's email from clinic settings.
SECURITY_CONTACT = os.environ.get("SECURITY_CONTACT", "")
SECURITY_POLICY_URL = os.environ.get("SECURITY_POLICY_URL", "")
