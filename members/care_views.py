"""Members access given from an appointment's page in the admin (care.py holds the rule).

The appointment page (appointments app) asks its `appointment_detail_panels` Wagtail hook for
extra sections; members answers with `panel()`, so neither app imports the other.
"""

import datetime

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.log_actions import log

from . import care, pass_mail
from .access_models import MembersPolicy, PatientPass
from .http import make_private

PERMISSIONS = ("members.manage_passes", "appointments.view_appointment")


def may_give(user) -> bool:
    """Giving access needs the members pass permission as well as seeing the appointment."""
    return user.has_perms(PERMISSIONS)


def last_day(moment: datetime.datetime, tz) -> datetime.date:
    """The last day an exclusive end falls on, as staff and patients read it."""
    return (moment - datetime.timedelta(seconds=1)).astimezone(tz).date()


def describe(item: PatientPass, *, now: datetime.datetime, tz) -> dict:
    """What staff see about an in-care pass: until when, and why."""
    return {
        "item": item,
        "active": item.is_valid(now=now),
        "until": last_day(item.valid_until, tz),
        "last_attended_on": item.last_attended_on,
        "booked_until_on": item.booked_until_on,
    }


def panel(request, appointment) -> str:
    if not may_give(request.user):
        return ""
    now, tz, policy = timezone.now(), care.clinic_zone(), MembersPolicy.load()
    item = care.open_pass_for(appointment)
    context = {
        "appointment": appointment,
        "care_days": policy.care_days,
        "eligible": care.covers_now(appointment, now=now, care_days=policy.care_days, tz=tz),
        "has_identity": care.identity_for_pass(appointment) is not None,
        "pass": describe(item, now=now, tz=tz) if item else None,
    }
    return render_to_string("members/admin/care_panel.html", context, request=request)


@require_POST
def give(request, appointment_id: int):
    if not may_give(request.user):
        raise PermissionDenied
    appointment = get_object_or_404(apps.get_model("appointments", "Appointment"), pk=appointment_id)
    back = redirect("appointments_admin:detail", pk=appointment.pk)
    try:
        item, made = care.give_access(appointment=appointment, now=timezone.now(), user=request.user)
    except care.NotEligible:
        messages.error(
            request,
            _(
                "Members access can be given from a visit that is attended, or confirmed and upcoming, "
                "of a booking with an email address or phone number."
            ),
        )
        return make_private(back)
    if made:
        log(instance=item, action="members.issue_pass", user=request.user, data={"in_care": True})
        if pass_mail.queue(item=item, appointment=appointment):
            messages.success(
                request, _("Members access given and emailed to the patient. Print the card too if they are here.")
            )
        else:
            messages.success(request, _("Members access given. Print the card for the patient now."))
    else:
        messages.info(request, _("This patient already has members access: print their card again if needed."))
    return make_private(back)
