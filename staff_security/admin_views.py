"""Settings → Staff sign-in: an administrator issues a one-time two-factor enrolment code (new
colleague), resets a lost phone (which issues one too) or lifts a django-axes lockout, without a shell."""

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.log_actions import log

from . import enrolment
from .accounts import may_help, may_manage_sign_in
from .lockout import locked_usernames
from .two_factor import has_confirmed_device, reset_devices


def sign_in_helpers_only(view):
    def wrapped(request, *args, **kwargs):
        if not may_manage_sign_in(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _account(request, user_id: int):
    account = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    if not may_help(request.user, account):
        raise PermissionDenied
    return account


@never_cache
@sign_in_helpers_only
def index(request):
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    enrolled = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    locked = locked_usernames()
    waiting = enrolment.waiting(now=timezone.now())
    rows = [
        {
            "user": user,
            "enrolled": user.pk in enrolled,
            "locked": user.get_username() in locked,
            "code_until": waiting.get(user.pk),
            "may_help": may_help(request.user, user),
        }
        for user in users
    ]
    return TemplateResponse(
        request,
        "staff_security/admin/index.html",
        {
            "page_title": _("Staff sign-in"),
            "header_title": _("Staff sign-in"),
            "rows": rows,
            "two_factor_required": settings.STAFF_2FA_REQUIRED,
            "cooloff_hours": settings.AXES_COOLOFF_TIME,
            "code_hours": settings.STAFF_ENROLMENT_CODE_HOURS,
        },
    )


def _show_code(request, account, issued: enrolment.Issued):
    # Rendered in the POST's own response (never a redirect and a message, which could be kept in a
    # cookie): the code exists only here, once. never_cache keeps it out of every cache.
    return TemplateResponse(
        request,
        "staff_security/admin/enrolment_code.html",
        {
            "page_title": _("Enrolment code"),
            "header_title": _("Enrolment code for %(name)s") % {"name": account.get_username()},
            "account": account,
            "code": issued.code,
            "expires_at": issued.expires_at,
            "login_url": request.build_absolute_uri(reverse("wagtailadmin_login")),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@sign_in_helpers_only
def issue_code(request, user_id: int):
    account = _account(request, user_id)
    if has_confirmed_device(user=account):
        messages.error(
            request,
            _("%(name)s already has an authenticator app. For a lost or new phone, use Reset two-factor.")
            % {"name": account.get_username()},
        )
        return redirect("staff_security_admin:index")
    if request.method == "GET":
        return TemplateResponse(
            request,
            "staff_security/admin/issue_code.html",
            {
                "page_title": _("Issue an enrolment code"),
                "header_title": _("Issue an enrolment code"),
                "account": account,
                "code_hours": settings.STAFF_ENROLMENT_CODE_HOURS,
            },
        )
    issued = enrolment.issue(user=account, now=timezone.now(), issued_by=request.user)
    log(instance=account, action="staff_security.issue_enrolment_code", user=request.user)
    return _show_code(request, account, issued)


@never_cache
@require_http_methods(["GET", "POST"])
@sign_in_helpers_only
def reset_two_factor(request, user_id: int):
    account = _account(request, user_id)
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
    issued = enrolment.issue(user=account, now=timezone.now(), issued_by=request.user)
    log(instance=account, action="staff_security.reset_two_factor", user=request.user, data={"devices": removed})
    messages.success(request, _("Two-factor authentication reset for %(name)s.") % {"name": account.get_username()})
    return _show_code(request, account, issued)


@require_POST
@sign_in_helpers_only
def unlock(request, user_id: int):
    account = _account(request, user_id)
    axes_reset(username=account.get_username())
    log(instance=account, action="staff_security.unlock", user=request.user)
    messages.success(request, _("%(name)s can sign in again.") % {"name": account.get_username()})
    return redirect("staff_security_admin:index")
