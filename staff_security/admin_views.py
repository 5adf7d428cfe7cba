"""Settings → Staff sign-in: an administrator resets a colleague's two-factor device (lost phone)
or lifts a django-axes lockout from the admin, without a shell."""

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.log_actions import log

from .lockout import locked_usernames
from .two_factor import reset_devices


def administrators_only(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@never_cache
@administrators_only
def index(request):
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    enrolled = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    locked = locked_usernames()
    rows = [{"user": user, "enrolled": user.pk in enrolled, "locked": user.get_username() in locked} for user in users]
    return TemplateResponse(
        request,
        "staff_security/admin/index.html",
        {
            "page_title": _("Staff sign-in"),
            "header_title": _("Staff sign-in"),
            "rows": rows,
            "two_factor_required": settings.STAFF_2FA_REQUIRED,
            "cooloff_hours": settings.AXES_COOLOFF_TIME,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@administrators_only
def reset_two_factor(request, user_id: int):
    account = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    if request.method == "GET":
        return TemplateResponse(
            request,
            "staff_security/admin/reset_two_factor.html",
            {
                "page_title": _("Reset two-factor authentication"),
                "header_title": _("Reset two-factor authentication"),
                "account": account,
            },
        )
    removed = reset_devices(user=account)
    log(instance=account, action="staff_security.reset_two_factor", user=request.user, data={"devices": removed})
    messages.success(
        request,
        _("Two-factor authentication reset for %(name)s. They set up their new phone at their next sign-in.")
        % {"name": account.get_username()},
    )
    return redirect("staff_security_admin:index")


@require_POST
@administrators_only
def unlock(request, user_id: int):
    account = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    axes_reset(username=account.get_username())
    log(instance=account, action="staff_security.unlock", user=request.user)
    messages.success(request, _("%(name)s can sign in again.") % {"name": account.get_username()})
    return redirect("staff_security_admin:index")
