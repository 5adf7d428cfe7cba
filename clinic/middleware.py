"""Project-wide middleware: the clinic's time zone, CSP and headers (the page cache: caching/)."""

import functools
import zoneinfo

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from wagtail.models import Site

from caching.entries import bind_generation, unbind_generation
from caching.middleware import GENERATION_BOUND, find_site_cached, is_admin_request
from pages.models import ClinicSettings


class ClinicTimezoneMiddleware:
    """Render dates and times in the clinic's own time zone (from clinic settings)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Bound already for a request the page cache may answer (PageCacheGenerationMiddleware).
        generation = None if getattr(request, GENERATION_BOUND, False) else bind_generation()
        find_site_cached(request)
        try:
            # Before the first Wagtail site exists (fresh or flushed database) there are no
            # clinic settings to read, and non-page URLs such as /healthz must still answer.
            if Site.find_for_request(request) is None:
                timezone.deactivate()
            else:
                timezone.activate(zoneinfo.ZoneInfo(ClinicSettings.for_request(request).time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
            if generation is not None:
                unbind_generation(generation)


# Set by django-csp's decorators (csp_update, csp_exempt, ...) on a response that needs its own policy.
_CSP_RESPONSE_OVERRIDES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)


@functools.cache
def site_wide_csp_headers() -> tuple:
    """django-csp's own headers for a response with no override and no nonce, built once."""
    headers = []
    for header, setting, report_only in (
        (HEADER, "CONTENT_SECURITY_POLICY", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", True),
    ):
        policy = build_policy(report_only=report_only)
        excluded = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ())
        if policy:
            headers.append((header, policy, excluded))
    return tuple(headers)


@receiver(setting_changed)
def _forget_csp_headers(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        site_wide_csp_headers.cache_clear()


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp with a separate, workable policy for the Wagtail and Django admins.

    Public responses carry the same site-wide policy every time: it is built once, not per
    response; anything else (admin, a decorator's override, a nonce) takes django-csp's path."""

    def process_response(self, request, response):
        if (
            is_admin_request(request)
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _CSP_RESPONSE_OVERRIDES)
            or (settings.DEBUG and response.status_code in (404, 500))
        ):
            return super().process_response(request, response)
        for header, policy, excluded in site_wide_csp_headers():
            if header not in response and not request.path_info.startswith(excluded):
                response[header] = policy
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and is_admin_request(request):
            parts.config = settings.ADMIN_CONTENT_SECURITY_POLICY
        return parts


class SecurityHeadersMiddleware:
    """Headers Django does not set itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if is_admin_request(request):
            # Wagtail previews pages in a same-origin iframe.
            response["X-Frame-Options"] = "SAMEORIGIN"
        return response
