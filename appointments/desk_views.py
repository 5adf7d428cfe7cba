"""The front desk in the Wagtail admin: book for a patient (one session or a course of care), the
printable appointment slip, and cancelling the rest of a course. Thin: the work is in series.py."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import booking, series
from .availability import booking_settings, clinic_zone
from .desk_forms import OTHER, BookForPatientForm, local_value, parse_start
from .emails import _clinic
from .models import Appointment, Practitioner, Service
from .staff_times import free_times
from .views import parse_day

# Reception and above: whoever works the calendar's actions may book.
can_book = permission_required("appointments.change_appointment", raise_exception=True)


def _initial_from_query(query, tz) -> dict:
    """GET parameters from the calendar and day grid: service, practitioner, start, appointment."""
    initial: dict = {"repeat_count": 1, "repeat_weeks": 1}
    for key in ("service", "practitioner"):
        value = query.get(key, "")
        if isinstance(value, str) and len(value) <= 60:
            initial[key] = value
    raw_pk = query.get("appointment", "")
    if raw_pk.isascii() and raw_pk.isdigit() and len(raw_pk) < 19:
        previous = Appointment.objects.select_related("service", "practitioner").filter(pk=int(raw_pk)).first()
        if previous is not None and not previous.purged_at:
            # "Book next visit": same patient and service, same weekday a week on to start from.
            initial.update(name=previous.name, phone=previous.phone, email=previous.email)
            initial.update(service=previous.service.slug, practitioner=previous.practitioner.slug)
            initial["day"] = (previous.start.astimezone(tz) + dt.timedelta(weeks=1)).date()
    start = parse_start(query.get("start", ""), tz)
    if start is not None:
        initial["start"] = local_value(start, tz)
        initial["day"] = start.astimezone(tz).date()
    return initial


def _times_for(form, tz, now) -> tuple[Service | None, Practitioner | None, dt.date, list[dict]]:
    """The free times of the chosen day for the chosen practitioner, as radio options."""
    value = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else form.initial
    raw = (form.data if form.is_bound else form.initial) or {}
    # Only slugs the selects offer reach a query (a NUL byte is an error on PostgreSQL).
    slugs = {}
    for key in ("service", "practitioner"):
        slug = value.get(key) or raw.get(key) or ""
        slugs[key] = slug if slug in dict(form.fields[key].choices) else ""
    service = Service.objects.filter(slug=slugs["service"], active=True).first() if slugs["service"] else None
    practitioner = Practitioner.objects.filter(slug=slugs["practitioner"]).first() if slugs["practitioner"] else None
    day = value.get("day") or now.astimezone(tz).date()
    if service is None or practitioner is None:
        return service, practitioner, day, []
    selected = raw.get("start", "")
    picked = parse_start(selected, tz) if selected and selected != OTHER else None
    options = []
    for slot in free_times(service=service, practitioner=practitioner, first_day=day, last_day=day, now=now):
        options.append({"value": local_value(slot.start, tz), "start": slot.start.astimezone(tz), "free": True})
    listed = any(picked is not None and o["value"] == local_value(picked, tz) for o in options)
    if picked is not None and picked.astimezone(tz).date() == day and not listed:
        options.insert(0, {"value": local_value(picked, tz), "start": picked.astimezone(tz), "free": False})
    for option in options:
        option["checked"] = picked is not None and option["value"] == local_value(picked, tz)
    return service, practitioner, day, options


def _page(request, form, *, tz, now, status=200, sessions=None, warnings=None, error=""):
    service, practitioner, day, options = _times_for(form, tz, now)
    # Session 1's time is chosen from the day's free times above; later weeks are re-picked below.
    taken = [s for s in sessions or [] if s.taken and s.number > 1]
    return TemplateResponse(
        request,
        "appointments/admin/book.html",
        {
            "page_title": _("Book for a patient"),
            "header_title": _("Book for a patient"),
            "form": form,
            "service": service,
            "practitioner": practitioner,
            "day": day,
            "options": options,
            "other_checked": (form.data.get("start") == OTHER) if form.is_bound else False,
            "taken": [
                {
                    "session": s,
                    "start": s.start.astimezone(tz),
                    "alternatives": [
                        {"value": local_value(a.start, tz), "start": a.start.astimezone(tz)} for a in s.alternatives
                    ],
                }
                for s in taken
            ],
            "kept": [(s.number, local_value(s.start, tz)) for s in sessions or [] if not s.taken and s.number > 1],
            "plan": [(s.number, s.start.astimezone(tz), s.taken) for s in sessions or []],
            "warnings": warnings or [],
            "error": error,
            "tz": tz,
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@can_book
def book(request):
    tz = clinic_zone()
    now = timezone.now()
    if request.method == "GET":
        form = BookForPatientForm(initial=_initial_from_query(request.GET, tz), tz=tz)
        # A bare visit shows today's free times for what the selects show first, not an empty day box.
        services = form.fields["service"].choices
        if not form.initial.get("service") and services:
            form.initial["service"] = services[0][0]
        if not form.initial.get("practitioner"):
            givers = set(
                Practitioner.objects.filter(services__slug=form.initial.get("service")).values_list("slug", flat=True)
            )
            offered = [slug for slug, _name in form.fields["practitioner"].choices if slug in givers]
            if offered:
                form.initial["practitioner"] = offered[0]
        form.initial.setdefault("day", now.astimezone(tz).date())
        return _page(request, form, tz=tz, now=now)
    if "show" in request.POST:
        # Only the day's free times: nothing is checked or saved until staff press "Book".
        fields = [k for k in BookForPatientForm.base_fields if k not in ("start", "day", "outside_hours_ok")]
        shown = {k: request.POST[k][:500] for k in fields if request.POST.get(k)}
        shown["day"] = parse_day(request.POST.get("day", "")) or now.astimezone(tz).date()
        return _page(request, BookForPatientForm(initial=shown, tz=tz), tz=tz, now=now)
    form = BookForPatientForm(request.POST, tz=tz)
    if not form.is_valid():
        return _page(request, form, tz=tz, now=now, status=400)
    data = form.cleaned_data
    if data["first_start"] is None:
        form.add_error("start", _("Choose a time from the free times, or enter another time."))
        return _page(request, form, tz=tz, now=now, status=400)
    planned = series.plan(first=data["first_start"], count=data["repeat_count"], weeks=data["repeat_weeks"], tz=tz)
    starts, chosen = form.chosen_sessions(planned)
    common = {
        "service": data["service"],
        "practitioner": data["practitioner"],
        "name": data["name"],
        "email": data["email"],
        "phone": data["phone"],
        "note": data["note"],
        "booked_by": request.user.pk,
        "outside_hours_ok": data["outside_hours_ok"],
        "now": now,
    }
    try:
        if len(starts) == 1:
            booked = [series.book_one(start=starts[0], **common)]
        else:
            booked = series.book_series(starts=starts, chosen=chosen, **common)
    except series.SessionsUnavailable as refusal:
        first_taken = refusal.sessions[0].taken
        error = _("That time is taken. Choose another time.") if first_taken else refusal.errors["start"]
        return _page(request, form, tz=tz, now=now, status=409, sessions=refusal.sessions, error=error)
    except series.OutsideHours as warning:
        sessions = warning.sessions
        lines = [
            (s.number, s.start.astimezone(tz), w) for s in sessions for w in s.warnings
        ]  # shown before anything is saved
        return _page(request, form, tz=tz, now=now, warnings=lines)
    except booking.SlotTaken as taken:
        # Another member of staff or a patient online was quicker: show what is free now.
        return _page(request, form, tz=tz, now=now, status=409, error=taken.errors["start"])
    except booking.InvalidBooking as invalid:
        for field, message in invalid.errors.items():
            form.add_error(field if field in form.fields else None, message)
        return _page(request, form, tz=tz, now=now, status=400)
    first = booked[0].appointment
    if len(booked) > 1:
        messages.success(request, _("%(n)s sessions booked for %(name)s.") % {"n": len(booked), "name": first.name})
    else:
        messages.success(
            request, _("Appointment %(ref)s booked for %(name)s.") % {"ref": first.reference, "name": first.name}
        )
    if first.email:
        messages.info(request, _("The patient has been emailed the confirmation and calendar file."))
    else:
        messages.warning(request, _("No email address: print the appointment slip for the patient."))
    return redirect("appointments_admin:detail", pk=first.pk)


@never_cache
@permission_required("appointments.view_appointment", raise_exception=True)
def slip(request, pk):
    """A printable slip for a patient without email: when, with whom, where, and how to change it."""
    appointment = get_object_or_404(Appointment.objects.select_related("service", "practitioner"), pk=pk)
    tz = clinic_zone()
    sessions = [
        (s, s.start.astimezone(tz), s.end.astimezone(tz))
        for s in series.siblings(appointment).select_related("service", "practitioner")
        if s.is_active and (s.series_number or 0) >= (appointment.series_number or 0)
    ]
    return TemplateResponse(
        request,
        "appointments/admin/slip.html",
        {
            "appointment": appointment,
            "sessions": sessions,
            "clinic": _clinic(),
            "cutoff_hours": booking_settings().manage_cutoff_hours,
            "tz": tz,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@can_book
def cancel_rest(request, pk):
    appointment = get_object_or_404(Appointment.objects.select_related("service", "practitioner"), pk=pk)
    if appointment.series is None:
        return redirect("appointments_admin:detail", pk=pk)
    if request.method == "GET":
        tz = clinic_zone()
        rest = [
            (s, s.start.astimezone(tz))
            for s in series.siblings(appointment)
            if s.is_active and s.series_number >= appointment.series_number
        ]
        title = _("Cancel the rest of this course?")
        return TemplateResponse(
            request,
            "appointments/admin/cancel_rest.html",
            {"page_title": title, "header_title": title, "appointment": appointment, "rest": rest, "tz": tz},
        )
    try:
        cancelled = series.cancel_rest(appointment=appointment)
    except booking.InvalidBooking as error:
        messages.error(request, next(iter(error.errors.values())))
    else:
        messages.success(request, _("%(n)s sessions cancelled.") % {"n": len(cancelled)})
    return redirect("appointments_admin:detail", pk=pk)
