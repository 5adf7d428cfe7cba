"""The two-factor steps after the Wagtail password login: enrol an authenticator app, then verify."""

import base64
import io
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from .forms import TokenForm
from .two_factor import Step, confirm_device, next_step, pending_device


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/admin/"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    if next_step(user=request.user) is Step.VERIFY:
        # A confirmed device exists: adding another needs a verified session first.
        return redirect(_step_url("staff_security:verify", _next_url(request)))
    device = pending_device(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if confirm_device(device=device, token=form.cleaned_data["token"]):
            otp_login(request, device)
            return redirect(_next_url(request))
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


@never_cache
@login_required
def enrol_qr(request):
    """The pending device's provisioning URI as an SVG QR code, drawn here so the secret never leaves."""
    if next_step(user=request.user) is not Step.ENROL:
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
