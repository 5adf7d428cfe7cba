"""Staff move an appointment to a free time (any practitioner who gives the service) or, after a
warning, to any time; and undo a staff cancel. The patient is emailed only once staff have seen
what is unusual about the new time."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import booking, calendar_data, undo_cancel
from .availability import clinic_zone
from .models import Appointment, Closure, Practitioner, TimeOff
from .views import parse_day

can_change = permission_required("appointments.change_appointment", raise_exception=True)


def detail_context(request, appointment: Appointment, tz) -> dict:
    """The move form's day and its free times, and whether a cancel can be undone."""
    now = timezone.now()
    context = {"start_value": appointment.start.astimezone(tz).strftime("%Y-%m-%dT%H:%M"), "can_undo": False}
    if appointment.is_active:
        day = parse_day(request.GET.get("move_day", "")) or appointment.start.astimezone(tz).date()
        today = now.astimezone(tz).date()
        day = min(max(day, today), today + calendar_data.STAFF_HORIZON)
        times = calendar_data.free_times(
            service=appointment.service, day=day, now=now, tz=tz, exclude_appointment=appointment.pk
        )
        names = dict(appointment.service.practitioners.values_list("slug", "name"))
        context.update(
            move_day=day,
            move_times=[
                {
                    "value": f"{s.start.astimezone(tz).isoformat()}|{s.practitioner}",
                    "time": s.start.astimezone(tz),
                    "name": names.get(s.practitioner, s.practitioner),
                    "current": s.start == appointment.start and s.practitioner == appointment.practitioner.slug,
                }
                for s in times
            ],
            move_practitioners=list(appointment.service.practitioners.filter(active=True)),
        )
    else:
        context["can_undo"] = undo_cancel.cancel_to_undo(appointment) is not None and appointment.start > now
    return context


def move_warnings(practitioner: Practitioner, start: dt.datetime, end: dt.datetime, tz) -> list[str]:
    """Staff may move a booking anywhere; say so, before the patient is emailed, when patients could not book it."""
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    warnings = []
    closure = Closure.objects.filter(first_day__lte=local_end.date(), last_day__gte=local_start.date()).first()
    if closure is not None:
        warnings.append(_("The clinic is closed that day (%(closure)s).") % {"closure": closure})
    if TimeOff.objects.filter(practitioner=practitioner, starts_at__lt=end, ends_at__gt=start).exists():
        warnings.append(_("%(name)s has time off then.") % {"name": practitioner})
    within = (
        local_start.date() == local_end.date()
        and practitioner.working_hours.filter(
            weekday=local_start.weekday(), starts__lte=local_start.time(), ends__gte=local_end.time()
        ).exists()
    )
    if not within:
        warnings.append(_("This is outside %(name)s's working hours.") % {"name": practitioner})
    return warnings


def _parse_choice(request, appointment: Appointment, tz):
    """(start, practitioner) from a picked free time ("start|slug") or the typed time and practitioner."""
    raw = request.POST.get("slot", "")[:120]
    raw_start, _sep, slug = raw.partition("|") if raw else (request.POST.get("start", ""), "", "")
    slug = slug or request.POST.get("practitioner", "") or appointment.practitioner.slug
    try:
        local = parse_datetime(raw_start[:32]) if raw_start else None
    except ValueError:
        local = None
    practitioner = Practitioner.objects.filter(slug=slug[:60]).first()
    if local is None or practitioner is None:
        return None, None
    return (local.replace(tzinfo=tz) if local.tzinfo is None else local), practitioner


@require_POST
@can_change
def move(request, pk):
    appointment = get_object_or_404(Appointment.objects.select_related("service", "practitioner"), pk=pk)
    tz = clinic_zone()
    start, practitioner = _parse_choice(request, appointment, tz)
    if start is None:
        messages.error(request, _("Choose one of the free times, or enter the new date and time."))
        return redirect("appointments_admin:detail", pk=pk)
    now = timezone.now()
    # Staff may move outside the booking rules, but not to a time that cannot be meant (the fuzz
    # found year 1 accepted, and the patient emailed about it).
    if not now - dt.timedelta(days=1) <= start <= now + calendar_data.STAFF_HORIZON:
        messages.error(request, _("Choose a time between yesterday and a year from now."))
        return redirect("appointments_admin:detail", pk=pk)
    end = start + dt.timedelta(minutes=appointment.service.duration_minutes)
    warnings = move_warnings(practitioner, start, end, tz)
    if warnings and request.POST.get("confirm") != "yes":
        title = _("Move to a time patients could not book?")
        return TemplateResponse(
            request,
            "appointments/admin/move_confirm.html",
            {
                "page_title": title,
                "header_title": title,
                "appointment": appointment,
                "warnings": warnings,
                "new_start": start.astimezone(tz),
                "new_end": end.astimezone(tz),
                "slot": f"{start.astimezone(tz).isoformat()}|{practitioner.slug}",
                "practitioner": practitioner,
                "tz": tz,
            },
        )
    try:
        booking.reschedule(appointment=appointment, start=start, by_staff=True, practitioner=practitioner)
    except booking.SlotTaken:
        messages.error(request, _("That time overlaps another appointment of this practitioner."))
    except booking.BookingError as error:
        messages.error(request, next(iter(error.errors.values())))
    else:
        messages.success(request, _("Appointment moved; the patient has been emailed."))
    return redirect("appointments_admin:detail", pk=pk)


@require_POST
@can_change
def undo(request, pk):
    appointment = get_object_or_404(Appointment, pk=pk)
    try:
        undo_cancel.undo_cancel(appointment=appointment)
    except booking.SlotTaken:
        messages.error(request, _("That time has been booked meanwhile, so the cancel cannot be undone."))
    except booking.BookingError as error:
        messages.error(request, next(iter(error.errors.values())))
    else:
        messages.success(request, _("Cancel undone: the appointment is back and the patient has been emailed."))
    return redirect("appointments_admin:detail", pk=pk)
