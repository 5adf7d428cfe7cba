"""The two-factor steps after the Wagtail password login: enrol an authenticator app, then verify."""

import base64
import io
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from . import enrolment
from .forms import EnrolmentCodeForm, TokenForm
from .two_factor import Step, confirm_device, discard_pending_devices, next_step, pending_device


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/admin/"


# The session holds the id of the enrolment code this user typed, until the device is confirmed.
CODE_SESSION_KEY = "staff_security_enrolment_code"


CODE_GONE = _lazy("Your enrolment code was replaced or has expired. Ask an administrator for a new one.")


def _accepted_code_id(request) -> int | None:
    """The enrolment code accepted in this session, if it is still usable for this user."""
    code_id = request.session.get(CODE_SESSION_KEY)
    if code_id is None:
        return None
    if enrolment.still_usable(code_id=code_id, user=request.user, now=timezone.now()):
        return code_id
    request.session.pop(CODE_SESSION_KEY, None)
    messages.error(request, CODE_GONE)
    return None


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    if next_step(user=request.user) is Step.VERIFY:
        # A confirmed device exists: adding another needs a verified session first.
        return redirect(_step_url("staff_security:verify", _next_url(request)))
    code_id = _accepted_code_id(request)
    if code_id is None:
        return _ask_for_code(request)
    device = pending_device(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = _confirm(request, device=device, code_id=code_id, token=form.cleaned_data["token"])
        if outcome == "confirmed":
            return redirect(_next_url(request))
        if outcome == "code gone":
            messages.error(request, CODE_GONE)
            return redirect(_step_url("staff_security:enrol", _next_url(request)))
        form.add_error("token", _("That code did not match. Check the time on your phone and try the newest code."))
    status = 400 if form.errors else 200
    secret = _base32(device)
    context = {
        "form": form,
        # In groups of four, as authenticator apps show and accept it (typed by hand, 32 letters in a row go wrong).
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        # Opens the authenticator app directly when enrolling on the phone itself, which cannot scan its own screen.
        "config_url": device.config_url,
        "next": _next_url(request),
    }
    return render(request, "staff_security/enrol.html", context, status=status)


def _ask_for_code(request):
    # Only a post of this form is read as one (a token posted after the code was lost is not).
    form = EnrolmentCodeForm(request.POST if "enrolment_code" in request.POST else None)
    if form.is_bound and form.is_valid():
        code = enrolment.match(user=request.user, candidate=form.cleaned_data["enrolment_code"], now=timezone.now())
        if code is not None:
            request.session[CODE_SESSION_KEY] = code.pk
            # A secret shown before this code (an earlier, abandoned try) is never the one confirmed.
            discard_pending_devices(user=request.user)
            return redirect(_step_url("staff_security:enrol", _next_url(request)))
        form.add_error(
            "enrolment_code",
            _(
                "That enrolment code is not right for this account, or it was used, replaced or has expired. "
                "Check it, or ask an administrator for a new one."
            ),
        )
    # Any post that did not carry a right code failed (a stray token post included).
    status = 400 if request.method == "POST" else 200
    return render(request, "staff_security/enrol_code.html", {"form": form, "next": _next_url(request)}, status=status)


def _confirm(request, *, device, code_id: int, token: str) -> str:
    with transaction.atomic():
        if not confirm_device(device=device, token=token):
            return "wrong token"
        if not enrolment.use_up(code_id=code_id, user=request.user, now=timezone.now()):
            # Replaced or expired while the app was being set up: undo the confirmation.
            transaction.set_rollback(True)
            request.session.pop(CODE_SESSION_KEY, None)
            return "code gone"
    request.session.pop(CODE_SESSION_KEY, None)
    otp_login(request, device)
    return "confirmed"


@never_cache
@login_required
def enrol_qr(request):
    """The pending device's provisioning URI as an SVG QR code, drawn here so the secret never leaves."""
    if next_step(user=request.user) is not Step.ENROL or _accepted_code_id(request) is None:
        return HttpResponse(status=404)
    device = pending_device(user=request.user)
    out = io.BytesIO()
    write_qrcode_image(device.config_url, out)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    step = next_step(user=request.user)
    if step is Step.DONE:
        return redirect(_next_url(request))
    if step is Step.ENROL:
        return redirect(_step_url("staff_security:enrol", _next_url(request)))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _matching_device(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error(
            "token", _("That code did not match, or too many tries were made. Wait and try the newest code.")
        )
    status = 400 if form.errors else 200
    return render(request, "staff_security/verify.html", {"form": form, "next": _next_url(request)}, status=status)


def _matching_device(user, token: str) -> TOTPDevice | None:
    # TOTPDevice.verify_token applies django-otp's own back-off after failures.
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


def _base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def _step_url(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"
