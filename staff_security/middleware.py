"""Require a second factor for every signed-in request to the admin when STAFF_2FA_REQUIRED is on."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from .two_factor import Step, next_step

# Reachable with a password alone: signing in and out, the two-factor pages themselves, and the
# icon sprite and translations the admin's own sign-in and two-factor pages load with JavaScript
# (neither carries data: without them a redirect would paste a page into the icon sprite).
_OPEN_URL_NAMES = (
    "wagtailadmin_login",
    "wagtailadmin_logout",
    "wagtailadmin_sprite",
    "wagtailadmin_javascript_catalog",
    "admin:login",
    "admin:logout",
)


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.STAFF_2FA_REQUIRED and self._needs_second_factor(request):
            step = next_step(user=request.user)
            if step is not Step.DONE:
                target = "staff_security:verify" if step is Step.VERIFY else "staff_security:enrol"
                query = urlencode({"next": request.get_full_path()})
                response = redirect(f"{reverse(target)}?{query}")
                response["Cache-Control"] = "private, no-store"
                return response
        return self.get_response(request)

    @staticmethod
    def _needs_second_factor(request) -> bool:
        path = request.path_info
        if not path.startswith(settings.ADMIN_PATH_PREFIXES):
            return False
        try:
            if resolve(path).namespace == "staff_security":
                return False
        except Resolver404:
            pass
        if path in {reverse(name) for name in _OPEN_URL_NAMES}:
            return False
        return request.user.is_authenticated
