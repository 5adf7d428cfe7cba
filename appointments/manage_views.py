"""The pages behind a patient's private link: see, move or cancel their appointment, and its calendar file.

Cancelling asks first, on a page of its own; moving stays the first choice.
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pages.models import ClinicSettings

from . import booking, online_limits
from .availability import booking_settings, clinic_zone, find_slots
from .ics import appointment_calendar, clinic_location, practitioner_feed
from .models import Appointment, Practitioner, hash_token
from .slots import by_local_day
from .views import _common, _site, by_month, group_by_part_of_day, parse_day, parse_start, private, see_other
from .visit_info import visit_info


def _appointment_for(token: str) -> Appointment:
    if len(token) > 100:
        raise Http404
    appointment = (
        Appointment.objects.select_related("service", "practitioner")
        .filter(manage_token_hash=hash_token(token))
        .first()
    )
    if appointment is None or appointment.purged_at:
        raise Http404
    return appointment


@require_http_methods(["GET", "POST"])
@private
def manage(request, token):
    appointment = _appointment_for(token)
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            # A page from before cancelling asked first: ask now.
            return see_other(reverse("appointments:manage_cancel", args=[token]))
        # Only an edited form gets here: show the page as it stands, with its own buttons.
        error = _("That did not work. Use the buttons on this page, or phone the clinic.")
        return _manage_page(request, appointment, token, error=error, status=400)
    messages = {
        "1": _("Your appointment is cancelled. We have sent you an email."),
        "again": _("This appointment is already cancelled."),
    }
    message = messages.get(request.GET.get("cancelled", ""), "")
    if request.GET.get("already") == "1" and appointment.is_active:
        message = _("You have already booked this appointment; here it is. Nothing was booked twice.")
    return _manage_page(request, appointment, token, message=message)


def _manage_page(request, appointment, token, *, message="", error="", status=200):
    site = _site(request)
    tz = clinic_zone(site)
    visit = visit_info(
        appointment,
        clinic=ClinicSettings.for_request(request),
        tz=tz,
        cutoff_hours=booking_settings(site).manage_cutoff_hours,
    )
    return render(
        request,
        "appointments/manage.html",
        _common(
            request,
            appointment=appointment,
            token=token,
            start=appointment.start.astimezone(tz),
            can_change=booking.can_patient_change(appointment, site=site),
            # Only while it holds its time: a cancelled booking found again by Back is not "booked".
            is_new=appointment.is_active and (request.GET.get("new") == "1" or request.GET.get("already") == "1"),
            visit=visit,
            message=message,
            error=error,
            step=None,
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@private
def manage_cancel(request, token):
    """A second page that asks before cancelling; only its button cancels."""
    appointment = _appointment_for(token)
    site = _site(request)
    url = reverse("appointments:manage", args=[token])
    if appointment.status == Appointment.Status.CANCELLED:
        # A second press, a reload or another tab: it is done, not "too late".
        return see_other(url + "?cancelled=again")
    error, status = "", 200
    if not appointment.is_active:
        error = _("This appointment is no longer booked (%(status)s), so there is nothing to cancel.") % {
            "status": appointment.get_status_display().lower()
        }
        status = 409
    elif not booking.can_patient_change(appointment, site=site):
        error, status = _("It is too late to cancel online. Please phone the clinic."), 409
    elif request.method == "POST":
        try:
            booking.change_status(appointment=appointment, action="cancel", by_patient=True)
        except booking.InvalidBooking as invalid:
            error, status = next(iter(invalid.errors.values())), 409
        else:
            return see_other(url + "?cancelled=1")
    return render(
        request,
        "appointments/manage_cancel.html",
        _common(
            request,
            appointment=appointment,
            token=token,
            start=appointment.start.astimezone(clinic_zone(site)),
            error=error,
            step=None,
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@private
def manage_move(request, token):
    appointment = _appointment_for(token)
    site = _site(request)
    tz = clinic_zone(site)
    if not booking.can_patient_change(appointment, site=site):
        return redirect("appointments:manage", token=token)
    errors, alternatives, status = {}, [], 200
    if request.method == "POST":
        start = parse_start(request.POST.get("start", ""))
        if start is None:
            errors, status = {"start": _("Choose one of the times listed.")}, 400
        else:
            try:
                # The move is confirmed by email: it counts against the address's daily cap of booking emails.
                with online_limits.counted(client=None, email=appointment.email, site=site):
                    booking.reschedule(appointment=appointment, start=start, manage_token=token, site=site)
            except online_limits.LimitReached as refused:
                errors, status = {"form": refused.message}, 429
            except booking.SlotTaken as taken:
                errors, alternatives, status = taken.errors, taken.alternatives, 409
            except booking.BookingError as invalid:
                errors, status = invalid.errors, 400
            else:
                return redirect(reverse("appointments:manage", args=[token]) + "?moved=1")
    slots = find_slots(
        service=appointment.service,
        practitioner=appointment.practitioner,
        site=site,
        exclude_appointment=appointment.pk,
    )
    days = list(by_local_day(slots, tz=tz).items())
    raw_day = request.GET.get("day", "")
    day = parse_day(raw_day)
    groups = []
    if day:
        day_slots = [s for d, ss in days if d == day for s in ss]
        groups = group_by_part_of_day(day_slots, tz)
    return render(
        request,
        "appointments/manage_move.html",
        _common(
            request,
            appointment=appointment,
            token=token,
            start=appointment.start.astimezone(tz),
            days=days,
            months=by_month(days),
            day=day,
            groups=groups,
            errors=errors,
            alternatives=alternatives,
            step=None,
        ),
        status=status,
    )


@require_GET
@private
def appointment_ics(request, token):
    appointment = _appointment_for(token)
    clinic = ClinicSettings.for_request(request)
    response = HttpResponse(
        appointment_calendar(
            appointment, clinic_name=clinic.name, organizer=clinic.email, location=clinic_location(clinic)
        ),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response


@require_GET
@private
def practitioner_ics(request, token):
    if len(token) > 100:
        raise Http404
    practitioner = (
        Practitioner.objects.filter(feed_token_hash=hash_token(token)).exclude(feed_token_hash="").first()  # nosec B106
    )
    if practitioner is None:
        raise Http404
    since = timezone.now() - dt.timedelta(days=30)
    appointments = (
        practitioner.appointments.filter(start__gte=since)
        .exclude(status__in=[Appointment.Status.DECLINED, Appointment.Status.EXPIRED, Appointment.Status.CANCELLED])
        .select_related("service")
    )
    body = practitioner_feed(appointments, name=str(practitioner))
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
