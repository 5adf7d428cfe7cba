"""The patient's booking flow at /appointments/, steps 1 to 3 (plain forms, no JavaScript needed).

Each step is a GET form that carries the earlier choices in its query string, so the back button
and bookmarks work and nothing is stored until the patient sends their details. Step 4 (details,
check your answers) is in answers_views.py; the private link's pages are in manage_views.py.
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from wagtail.models import Site

from . import booking, drafts
from .availability import booking_settings, clinic_zone, find_slots
from .closures import coming_closures
from .day_picker import week_view
from .models import Service
from .slots import by_local_day

private = cache_control(private=True, no_store=True)


def see_other(url: str) -> HttpResponseRedirect:
    """303 after a POST: a reload or the Back button fetches the page again instead of resending the form."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


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


def draft_id(request) -> str:
    """The answers being changed from "Check your answers" (a Change link), carried through the steps."""
    data = request.POST if request.method == "POST" else request.GET
    value = data.get("draft", "")
    return value if drafts.valid_id(value) else ""


def step_query(service, practitioner, *, draft: str = "", **more) -> str:
    params = {"service": service.slug, "practitioner": practitioner.slug if practitioner else "anyone", **more}
    if draft:
        params["draft"] = draft
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
    draft = draft_id(request)
    answers = drafts.get(request.session, draft) or {}
    chosen_service = None
    practitioners = []
    if "service" in request.GET:
        if "practitioner" in request.GET:
            service, practitioner, errors = _choice(request, strict=False)
            if not errors:
                return redirect(reverse("appointments:day") + "?" + step_query(service, practitioner, draft=draft))
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
                return redirect(reverse("appointments:day") + "?" + step_query(chosen_service, None, draft=draft))
    return render(
        request,
        "appointments/choose_service.html",
        _common(
            request,
            services=services,
            chosen_service=chosen_service,
            practitioners=practitioners,
            errors=errors,
            selected_service=request.GET.get("service", answers.get("service", "")),
            selected_practitioner=request.GET.get("practitioner", answers.get("practitioner", "anyone")),
            draft=draft,
            step=1,
            # The one entry page people search for: indexable, with a description; the steps after it are not.
            indexable=not request.GET,
        ),
        status=400 if errors else 200,
    )


@require_GET
@private
def choose_day(request):
    service, practitioner, errors = _choice(request, strict=False)
    if errors:
        return bad_step(request, errors)
    site = _site(request)
    tz = clinic_zone(site)
    draft = draft_id(request)
    asked = None
    if request.GET.get("week"):
        asked = parse_day(request.GET["week"])
        if asked is None:
            return bad_step(request, {"day": _("Choose a week from the links on the page.")})
    slots = find_slots(service=service, practitioner=practitioner, site=site)
    # Each day with its distinct start times: what the next step offers, however many practitioners are free.
    counts = {day: len(_unique_starts(day_slots)) for day, day_slots in by_local_day(slots, tz=tz).items()}
    today = timezone.now().astimezone(tz).date()
    last_day = today + dt.timedelta(days=booking_settings(site).horizon_days)
    error = ""
    if "day" in request.GET:
        day = parse_day(request.GET["day"])
        if day and counts.get(day):
            return redirect(
                reverse("appointments:time") + "?" + step_query(service, practitioner, draft=draft, day=day.isoformat())
            )
        error = _("Choose a day with free times.") if request.GET["day"] else _("Choose a day.")
    week = week_view(counts=counts, today=today, last_day=last_day, asked=asked)
    return render(
        request,
        "appointments/choose_day.html",
        _common(
            request,
            service=service,
            practitioner=practitioner,
            week=week,
            any_free=bool(counts),
            # Days in view without free times that are still ahead: the patient may wait for them.
            can_wait=any(not d.times and today < d.date <= last_day for d in week.days),
            error=error,
            step=2,
            draft=draft,
            query=step_query(service, practitioner, draft=draft),
        ),
        status=400 if error else 200,
    )


def slots_for_day(request, service, practitioner, day, exclude=None):
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


def group_by_part_of_day(slots, tz):
    groups = {"morning": [], "afternoon": [], "evening": []}
    for slot in slots:
        hour = slot.start.astimezone(tz).hour
        groups["morning" if hour < 12 else "afternoon" if hour < 17 else "evening"].append(slot)
    labels = {"morning": _("Morning"), "afternoon": _("Afternoon"), "evening": _("Evening")}
    return [(labels[k], v) for k, v in groups.items() if v]


def by_month(days):
    """Days grouped by month, so a long list reads as a few short radio groups."""
    months: dict[tuple[int, int], list] = {}
    for day, slots in days:
        months.setdefault((day.year, day.month), []).append((day, slots))
    return [(items[0][0], items) for items in months.values()]


@require_GET
@private
def choose_time(request):
    service, practitioner, errors = _choice(request, strict=False)
    if errors:
        return bad_step(request, errors)
    raw_day = request.GET.get("day", "")
    day = parse_day(raw_day)
    if day is None:
        return bad_step(request, {"day": _("Choose a day first.")})
    tz = clinic_zone(_site(request))
    slots = slots_for_day(request, service, practitioner, day)
    draft = draft_id(request)
    error = ""
    if day < timezone.now().astimezone(tz).date():
        # An old bookmark or an edited link: say why there is nothing to choose.
        error = _("That day has passed. Choose another day.")
    elif "start" in request.GET:
        start = parse_start(request.GET["start"])
        if start and any(s.start == start for s in slots):
            query = step_query(service, practitioner, draft=draft, start=start.isoformat())
            return redirect(reverse("appointments:details") + "?" + query)
        error = _("Choose one of the times listed.") if request.GET["start"] else _("Choose a time.")
    return render(
        request,
        "appointments/choose_time.html",
        _common(
            request,
            service=service,
            practitioner=practitioner,
            day=day,
            groups=group_by_part_of_day(slots, tz),
            error=error,
            step=3,
            draft=draft,
            query=step_query(service, practitioner, draft=draft),
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


def parse_start(value: str) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        start = parse_datetime(value)
        if start is None or start.tzinfo is None:
            return None
        return start.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # 2027-02-30, or 0001-01-01T00:00+14:00 (before year 1 in UTC)
        return None


def bad_step(request, errors, *, status: int = 400):
    return render(
        request,
        "appointments/problem.html",
        _common(request, errors=errors, step=None),
        status=status,
    )
