"""The patient's booking flow at /appointments/ (plain forms, no JavaScript needed) and the private pages.

Each step is a GET form that carries the earlier choices in its query string, so the back button
and bookmarks work and nothing is stored until the patient sends their details.
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods
from wagtail.models import Site

from pages.models import ClinicSettings

from . import booking
from .availability import booking_settings, clinic_zone, find_slots
from .closures import coming_closures
from .ics import appointment_calendar, clinic_location, practitioner_feed
from .models import Appointment, Practitioner, Service, hash_token
from .slots import by_local_day
from .throttle import allow

private = cache_control(private=True, no_store=True)


def _site(request):
    return Site.find_for_request(request)


def _common(request, **extra):
    settings = booking_settings(_site(request))
    care = settings.care_card[0] if settings.care_card else None
    return {"care_card": care, "booking_settings": settings, "closures": coming_closures(), **extra}


def _choice(request, *, strict: bool = True):
    """The service and practitioner chosen in step 1, from the query string or form."""
    data = request.POST if request.method == "POST" else request.GET
    service_slug = data.get("service", "")
    try:
        service = booking.resolve_service(service_slug)
        practitioner = booking.resolve_practitioner(service, data.get("practitioner", "") or None)
    except booking.InvalidBooking as error:
        if strict:
            raise Http404(next(iter(error.errors.values()))) from None
        return None, None, error.errors
    return service, practitioner, {}


def _step_query(service, practitioner, **more) -> str:
    params = {"service": service.slug, "practitioner": practitioner.slug if practitioner else "anyone", **more}
    return urlencode(params)


@require_GET
@private
def choose_service(request):
    """Step 1, one question per page: the service, then who gives it. Only practitioners who give
    the chosen service are offered (all on one page, a patient could pick a pair that is refused)."""
    # A service nobody active gives would lead to a page of no days.
    services = [
        s
        for s in Service.objects.filter(active=True).prefetch_related("practitioners")
        if any(p.active for p in s.practitioners.all())
    ]
    errors = {}
    chosen_service = None
    practitioners = []
    if "service" in request.GET:
        if "practitioner" in request.GET:
            service, practitioner, errors = _choice(request, strict=False)
            if not errors:
                return redirect(reverse("appointments:day") + "?" + _step_query(service, practitioner))
        try:
            chosen_service = booking.resolve_service(request.GET.get("service", ""))
        except booking.InvalidBooking as error:
            errors = errors or error.errors
        else:
            practitioners = [p for p in chosen_service.practitioners.all() if p.active]
            if not practitioners:
                chosen_service = None
                errors = {"service": _("This service cannot be booked online at the moment. Please phone the clinic.")}
            elif len(practitioners) == 1 and not errors:
                # Nobody to choose between: straight on to the days.
                return redirect(reverse("appointments:day") + "?" + _step_query(chosen_service, None))
    return render(
        request,
        "appointments/choose_service.html",
        _common(
            request,
            services=services,
            chosen_service=chosen_service,
            practitioners=practitioners,
            errors=errors,
            selected_service=request.GET.get("service", ""),
            selected_practitioner=request.GET.get("practitioner", "anyone"),
            step=1,
        ),
        status=400 if errors else 200,
    )


@require_GET
@private
def choose_day(request):
    service, practitioner, errors = _choice(request, strict=False)
    if errors:
        return _bad_step(request, errors)
    tz = clinic_zone(_site(request))
    slots = find_slots(service=service, practitioner=practitioner, site=_site(request))
    # Each day with its distinct start times: what the next step offers, however many practitioners are free.
    days = [(day, _unique_starts(day_slots)) for day, day_slots in by_local_day(slots, tz=tz).items()]
    error = ""
    if "day" in request.GET:
        day = parse_day(request.GET["day"])
        if day and any(d == day for d, _slots in days):
            return redirect(
                reverse("appointments:time") + "?" + _step_query(service, practitioner, day=day.isoformat())
            )
        error = _("Choose one of the days listed.")
    return render(
        request,
        "appointments/choose_day.html",
        _common(
            request,
            service=service,
            practitioner=practitioner,
            days=days,
            months=_by_month(days),
            error=error,
            step=2,
            query=_step_query(service, practitioner),
        ),
        status=400 if error else 200,
    )


def _by_month(days):
    """Days grouped by month, so a long list reads as a few short radio groups."""
    months: dict[tuple[int, int], list] = {}
    for day, slots in days:
        months.setdefault((day.year, day.month), []).append((day, slots))
    return [(items[0][0], items) for items in months.values()]


def _slots_for_day(request, service, practitioner, day, exclude=None):
    """Start times on one day; with "anyone", each time once, whichever practitioner is free."""
    slots = find_slots(
        service=service,
        practitioner=practitioner,
        first_day=day,
        last_day=day,
        site=_site(request),
        exclude_appointment=exclude,
    )
    return _unique_starts(slots)


def _unique_starts(slots):
    unique = {}
    for slot in slots:
        unique.setdefault(slot.start, slot)
    return list(unique.values())


def _group_by_part_of_day(slots, tz):
    groups = {"morning": [], "afternoon": [], "evening": []}
    for slot in slots:
        hour = slot.start.astimezone(tz).hour
        groups["morning" if hour < 12 else "afternoon" if hour < 17 else "evening"].append(slot)
    labels = {"morning": _("Morning"), "afternoon": _("Afternoon"), "evening": _("Evening")}
    return [(labels[k], v) for k, v in groups.items() if v]


@require_GET
@private
def choose_time(request):
    service, practitioner, errors = _choice(request, strict=False)
    if errors:
        return _bad_step(request, errors)
    raw_day = request.GET.get("day", "")
    day = parse_day(raw_day)
    if day is None:
        return _bad_step(request, {"day": _("Choose a day first.")})
    tz = clinic_zone(_site(request))
    slots = _slots_for_day(request, service, practitioner, day)
    error = ""
    if day < timezone.now().astimezone(tz).date():
        # An old bookmark or an edited link: say why there is nothing to choose.
        error = _("That day has passed. Choose another day.")
    elif "start" in request.GET:
        start = _parse_start(request.GET["start"])
        if start and any(s.start == start for s in slots):
            return redirect(
                reverse("appointments:details") + "?" + _step_query(service, practitioner, start=start.isoformat())
            )
        error = _("Choose one of the times listed.")
    return render(
        request,
        "appointments/choose_time.html",
        _common(
            request,
            service=service,
            practitioner=practitioner,
            day=day,
            groups=_group_by_part_of_day(slots, tz),
            error=error,
            step=3,
            query=_step_query(service, practitioner),
        ),
        status=400 if error else 200,
    )


def parse_day(value) -> dt.date | None:
    """A YYYY-MM-DD date, or None for anything else (including 2027-02-30)."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def _parse_start(value: str) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        start = parse_datetime(value)
        if start is None or start.tzinfo is None:
            return None
        return start.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # 2027-02-30, or 0001-01-01T00:00+14:00 (before year 1 in UTC)
        return None


def _bad_step(request, errors):
    return render(
        request,
        "appointments/problem.html",
        _common(request, errors=errors, step=None),
        status=400,
    )


@require_http_methods(["GET", "POST"])
@private
def details(request):
    service, practitioner, errors = _choice(request, strict=False)
    if errors:
        return _bad_step(request, errors)
    data = request.POST if request.method == "POST" else request.GET
    start = _parse_start(data.get("start", ""))
    if start is None:
        return _bad_step(request, {"start": _("Choose a time first.")})
    form = {"name": "", "email": "", "phone": "", "message": "", "consent": False}
    errors = {}
    alternatives = []
    status = 200
    if request.method == "GET":
        # A bookmark, the back button or an edited link can name a time that is past or gone:
        # say so before the patient types their details, not after.
        try:
            booking.check_start(service=service, practitioner=practitioner, start=start, site=_site(request))
        except booking.SlotTaken as taken:
            errors, alternatives, status = taken.errors, taken.alternatives, 409
        except booking.InvalidBooking as invalid:
            errors, status = invalid.errors, 400
    else:
        form = {key: request.POST.get(key, "") for key in ("name", "email", "phone", "message")}
        form["consent"] = request.POST.get("consent") == "yes"
        if not allow(request, scope="book", limit=20, per_seconds=3600):
            errors = {"form": _("Too many booking attempts from here. Please wait a while or phone the clinic.")}
            status = 429
        else:
            try:
                booked = booking.book(
                    service=service.slug,
                    practitioner=practitioner.slug if practitioner else None,
                    start=start,
                    site=_site(request),
                    **form,
                )
            except booking.SlotTaken as taken:
                errors, alternatives, status = taken.errors, taken.alternatives, 409
            except booking.InvalidBooking as invalid:
                errors, status = invalid.errors, 400
            else:
                return redirect(reverse("appointments:manage", args=[booked.manage_token]) + "?new=1")
    tz = clinic_zone(_site(request))
    return render(
        request,
        "appointments/details.html",
        _common(
            request,
            service=service,
            practitioner=practitioner,
            start=start.astimezone(tz),
            start_value=start.isoformat(),
            form=form,
            errors=errors,
            alternatives=alternatives,
            step=4,
            query=_step_query(service, practitioner),
            day=start.astimezone(tz).date(),
            max_message=booking.MAX_MESSAGE,
        ),
        status=status,
    )


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
    site = _site(request)
    message = ""
    error = ""
    status = 200
    if request.method == "POST":
        if request.POST.get("action") != "cancel":
            # Only an edited form gets here: show the page as it stands, with its own buttons.
            error, status = _("That did not work. Use the buttons on this page, or phone the clinic."), 400
        elif appointment.status == Appointment.Status.CANCELLED:
            # A second press, a reload or another tab: it is done, not "too late".
            message = _("This appointment is already cancelled.")
        elif not appointment.is_active:
            error = _("This appointment is no longer booked (%(status)s), so there is nothing to cancel.") % {
                "status": appointment.get_status_display().lower()
            }
            status = 409
        elif not booking.can_patient_change(appointment, site=site):
            error = _("It is too late to cancel online. Please phone the clinic.")
            status = 409
        else:
            try:
                appointment = booking.change_status(appointment=appointment, action="cancel", by_patient=True)
                message = _("Your appointment is cancelled. We have sent you an email.")
            except booking.InvalidBooking as invalid:
                error, status = next(iter(invalid.errors.values())), 409
    tz = clinic_zone(site)
    return render(
        request,
        "appointments/manage.html",
        _common(
            request,
            appointment=appointment,
            token=token,
            start=appointment.start.astimezone(tz),
            can_change=booking.can_patient_change(appointment, site=site),
            is_new=request.GET.get("new") == "1",
            message=message,
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
        start = _parse_start(request.POST.get("start", ""))
        if start is None:
            errors, status = {"start": _("Choose one of the times listed.")}, 400
        else:
            try:
                booking.reschedule(appointment=appointment, start=start, manage_token=token, site=site)
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
        groups = _group_by_part_of_day(day_slots, tz)
    return render(
        request,
        "appointments/manage_move.html",
        _common(
            request,
            appointment=appointment,
            token=token,
            start=appointment.start.astimezone(tz),
            days=days,
            months=_by_month(days),
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
        content_type="text/calendar",
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
