"""The staff "Members access" screen, rotation, patient passes and printable cards."""

import datetime
import functools
import math

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.log_actions import log

from pages.models import ClinicSettings

from . import care, passes, passwords, stats, throttle
from .forms import IssuePassForm, RotateForm
from .http import make_private
from .models import MembersPolicy, PatientPass
from .views import members_home_url


def needs(*codenames):
    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not any(request.user.has_perm(f"members.{codename}") for codename in codenames):
                raise PermissionDenied
            # Screens that show passwords are never cached anywhere.
            return make_private(view(request, *args, **kwargs))

        return wrapped

    return decorator


def members_url(request) -> str:
    return request.build_absolute_uri(members_home_url())


def qr_svg(url: str) -> str:
    """The members URL as an inline SVG QR code, made on the server (no script, no remote service)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    # The XML declaration is not allowed inside HTML.
    return mark_safe(svg[svg.index("<svg") :])  # noqa: S308 - qrcode output for our own URL  # nosec B308 B703


def password_context(now: datetime.datetime) -> dict:
    policy = MembersPolicy.load()
    row = passwords.current(now=now)
    until = passwords.valid_until(row, policy=policy)
    return {
        "policy": policy,
        "row": row,
        "valid_until": until,
        "days_left": max((until - now).days, 0),
        "previous": passwords.accepted(now=now)[1:],
    }


@needs("view_members_password", "rotate_members_password", "manage_passes")
def index(request):
    now = timezone.now()
    user = request.user
    site_limit = throttle.site_state()
    context = {
        "now": now,
        "members_url": members_url(request),
        "stats": stats.last_days(days=30),
        # Told here too: the admins' email goes nowhere without ADMIN_EMAILS, and reception gets the calls.
        "site_limit": site_limit,
        "site_refusing_minutes": math.ceil(site_limit["refusing_seconds"] / 60),
        "can_edit_policy": user.has_perm("members.change_memberspolicy"),
    }
    if user.has_perm("members.view_members_password"):
        context.update(password_context(now))
        try:
            context["password"] = passwords.decrypt(context["row"].password_encrypted)
        except passwords.UnreadableCopy:
            # The screen says so and offers Rotate now (the hash at the gate is unaffected).
            context["password_unreadable"] = True
    if user.has_perm("members.rotate_members_password"):
        context["rotate_form"] = RotateForm(
            initial={"generation": passwords.current(now=now).generation, "grace_days": MembersPolicy.load().grace_days}
        )
    if user.has_perm("members.manage_passes"):
        context["pass_counts"] = care.counts(now=now)
        context["care_days"] = MembersPolicy.load().care_days
        context["active_passes"] = passes.active(now=now)[:200]
        context["inactive_passes"] = passes.inactive(now=now)[:50]
        context["issue_form"] = IssuePassForm(
            initial={"valid_until": timezone.localdate() + datetime.timedelta(days=90)}
        )
    return TemplateResponse(request, "members/admin/index.html", context)


@require_POST
@needs("rotate_members_password")
def rotate(request):
    now = timezone.now()
    form = RotateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("members_admin:index")
    grace_days = form.cleaned_data["grace_days"]
    result = passwords.rotate_now(
        now=now,
        grace=datetime.timedelta(days=grace_days),
        user=request.user,
        expected_generation=form.cleaned_data["generation"],
    )
    if result.rotated:
        log(
            instance=result.password,
            action="members.rotate_password",
            user=request.user,
            data={"generation": result.password.generation, "grace_days": grace_days},
        )
        messages.success(request, _("A new members password is in use. Print new cards for reception."))
    else:
        messages.warning(request, _("The password had already been changed (by someone else or automatically)."))
    return redirect("members_admin:index")


@needs("view_members_password")
def password_card(request):
    now = timezone.now()
    context = password_context(now)
    try:
        secret = passwords.decrypt(context["row"].password_encrypted)
    except passwords.UnreadableCopy:
        messages.error(request, passwords.UNREADABLE_EXPLANATION)
        return redirect("members_admin:index")
    return TemplateResponse(
        request,
        "members/admin/card.html",
        {
            "clinic": ClinicSettings.for_request(request),
            "members_url": members_url(request),
            "qr": qr_svg(members_url(request)),
            "secret": secret,
            "secret_label": _("Members password"),
            "valid_until": context["valid_until"],
        },
    )


@require_POST
@needs("manage_passes")
def issue_pass(request):
    now = timezone.now()
    form = IssuePassForm(request.POST)
    if not form.is_valid():
        return TemplateResponse(request, "members/admin/issue_pass.html", {"form": form}, status=400)
    item, _code = passes.issue(
        label=form.cleaned_data["label"], valid_until=form.valid_until_datetime(), now=now, user=request.user
    )
    log(
        instance=item,
        action="members.issue_pass",
        user=request.user,
        data={"valid_until": item.valid_until.isoformat()},
    )
    messages.success(request, _("Pass issued for %(label)s. Print the card now.") % {"label": item.label})
    return redirect("members_admin:pass_card", pass_id=item.pk)


@needs("manage_passes")
def pass_card(request, pass_id: int):
    item = get_object_or_404(PatientPass, pk=pass_id)
    if not item.is_valid(now=timezone.now()):
        messages.error(request, _("This pass is revoked or expired; issue a new one."))
        return redirect("members_admin:index")
    try:
        code = passes.code_of(item)
    except passwords.UnreadableCopy:
        messages.error(
            request,
            _(
                "This pass's card cannot be printed: its stored copy cannot be read with the current keys. "
                "The pass itself still opens the members area; to print a card, issue a new pass and revoke this one."
            ),
        )
        return redirect("members_admin:index")
    return TemplateResponse(
        request,
        "members/admin/card.html",
        {
            "clinic": ClinicSettings.for_request(request),
            "members_url": members_url(request),
            "qr": qr_svg(members_url(request)),
            "secret": code,
            "secret_label": _("Personal pass code"),
            "valid_until": item.valid_until - datetime.timedelta(seconds=1),
            "pass_label": item.label,
            # An in-care pass has no fixed end to print: it follows the patient's visits.
            "care_days": MembersPolicy.load().care_days if item.in_care else None,
        },
    )


@require_http_methods(["GET", "POST"])
@needs("manage_passes")
def revoke_pass(request, pass_id: int):
    item = get_object_or_404(PatientPass, pk=pass_id)
    if request.method == "GET":
        # Revoking cannot be undone and shuts the patient out at once: ask first (the screen's
        # Revoke button leads here; the form below posts back to this address).
        if item.revoked_at is not None:
            messages.warning(request, _("That pass was already revoked."))
            return redirect("members_admin:index")
        return TemplateResponse(request, "members/admin/revoke_pass.html", {"item": item})
    if passes.revoke(item=item, now=timezone.now()):
        log(instance=item, action="members.revoke_pass", user=request.user)
        messages.success(
            request, _("Pass for %(label)s revoked. It no longer opens the members area.") % {"label": item.label}
        )
    else:
        messages.warning(request, _("That pass was already revoked."))
    return redirect("members_admin:index")
