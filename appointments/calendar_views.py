"""Reception's calendar in the admin: the day grid, a practitioner's week, the week list and the printable day sheet."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from . import calendar_data, day_grid, grid_html
from .availability import clinic_zone
from .models import Appointment, Service
from .slots import local_day_span
from .views import parse_day

can_view = permission_required("appointments.view_appointment", raise_exception=True)


def book_url() -> str:
    try:
        return reverse("appointments_admin:book")
    except NoReverseMatch:
        # "Book for a patient" is built on another branch; the grid links to its agreed address.
        return "/admin/appointments/book/"


def _day_from(request, tz) -> tuple[dt.date, dt.date | None]:
    """The day asked for, or today; on a closed day "Today" shows the next open day (and says so)."""
    today = dt.datetime.now(tz).date()
    day = parse_day(request.GET.get("date", ""))
    if day is not None and dt.date(1900, 1, 1) <= day <= dt.date(9000, 1, 1):  # a week past 9999 overflows
        return day, None
    if request.GET.get("view") == "day":
        open_day = calendar_data.next_open_day(today)
        return open_day, (today if open_day != today else None)
    return today, None


@never_cache
@can_view
def calendar(request):
    tz = clinic_zone()
    day, closed_today = _day_from(request, tz)
    mode = "day" if request.GET.get("view") == "day" else "week"
    if mode == "week":
        first = day - dt.timedelta(days=day.weekday())
        days = [first + dt.timedelta(days=i) for i in range(7)]
        step = dt.timedelta(days=7)
    else:
        days = [day]
        step = dt.timedelta(days=1)
    practitioners = list(calendar_data.practitioners_with_hours())
    slug = request.GET.get("practitioner", "")
    chosen = next((p for p in practitioners if p.slug == slug), None)
    status = request.GET.get("status", "")
    services = list(Service.objects.all())
    service = next((s for s in services if s.slug == request.GET.get("service")), None)
    service = service or next((s for s in services if s.active), None)
    span_start = local_day_span(days[0], tz).start
    span_end = local_day_span(days[-1], tz).end
    appointments = Appointment.objects.filter(start__gte=span_start, start__lt=span_end).select_related(
        "service", "practitioner"
    )
    if chosen:
        appointments = appointments.filter(practitioner=chosen)
    if status in Appointment.Status.values:
        appointments = appointments.filter(status=status)
    appointments = list(appointments.order_by("start"))
    by_day = {d: [] for d in days}
    for appointment in appointments:
        by_day.setdefault(appointment.start.astimezone(tz).date(), []).append(appointment)
    rows, closed, columns = [], {}, []
    busy = {a.practitioner_id for a in appointments}
    if mode == "day":
        shown = [chosen] if chosen else [p for p in practitioners if p.active or p.pk in busy]
        columns = calendar_data.columns_for_day(shown, day)
    else:
        # Every practitioner's week is built as one grid (one set of queries whatever the team's
        # size), then shown as one table per practitioner: 7 columns each, as when one is chosen.
        shown = [chosen] if chosen else [p for p in practitioners if p.active or p.pk in busy]
        columns = [c for p in shown for c in calendar_data.columns_for_week(p, days)]
    if columns:
        rows, closed = calendar_data.grid(
            columns=columns,
            appointments=appointments,
            service=service,
            first=days[0],
            last=days[-1],
            now=timezone.now(),
            tz=tz,
        )
    href = book_url()
    names = {p.slug: p.name for p in practitioners}
    for row in rows:
        for cell, column in zip(row.cells, columns, strict=True):
            if cell is not None and cell.bookable_at is not None:
                cell.book_href = href + "?" + book_query(service, column.key, cell.bookable_at, tz)
                cell.book_label = _("Book %(service)s with %(name)s on %(day)s at %(time)s") % {
                    "service": service.name,
                    "name": names.get(column.key, column.label),
                    "day": date_format(column.day, "l j F"),
                    "time": row.label,
                }
    base = {"view": mode, "practitioner": slug, "status": status}
    if service:
        base["service"] = service.slug
    return TemplateResponse(
        request,
        "appointments/admin/calendar.html",
        {
            "page_title": _("Appointments calendar"),
            "header_title": _("Appointments calendar"),
            "by_day": by_day.items(),
            "mode": mode,
            "day": day,
            "closed_today": closed_today,
            "practitioners": practitioners,
            "chosen": chosen,
            "statuses": Appointment.Status.choices,
            "status": status,
            "services": services,
            "service": service,
            "columns": columns,
            "grids": _grids(mode, columns, rows, names, tz),
            "closures": sorted(set(closed.values()), key=lambda c: c.first_day),
            "freed": [a for a in appointments if a.status in calendar_data.FREED],
            "prev_query": {**base, "date": (day - step).isoformat()},
            "next_query": {**base, "date": (day + step).isoformat()},
            "tz": tz,
        },
    )


def _grids(mode: str, columns, rows, names: dict[str, str], tz) -> list[dict]:
    """The day as one table; a week as one table per practitioner (its seven days as columns)."""
    if not columns:
        return []
    size = len(columns) if mode == "day" else 7
    grids = []
    for first in range(0, len(columns), size):
        part = slice(first, first + size)
        grids.append(
            {
                "name": names.get(columns[first].key, ""),
                "columns": columns[part],
                "body": grid_html.tbody([day_grid.Row(r.label, r.cells[part]) for r in rows], tz),
            }
        )
    return grids


def book_query(service, slug: str, start: dt.datetime, tz) -> str:
    return urlencode({"service": service.slug, "practitioner": slug, "start": start.astimezone(tz).isoformat()})


@never_cache
@can_view
def day_sheet(request):
    """One practitioner's day on paper: what they need at the treatment table, nothing more."""
    tz = clinic_zone()
    day, _closed_today = _day_from(request, tz)
    practitioners = list(calendar_data.practitioners_with_hours())
    chosen = next((p for p in practitioners if p.slug == request.GET.get("practitioner", "")), None)
    appointments = []
    if chosen:
        span = local_day_span(day, tz)
        appointments = list(
            Appointment.objects.filter(practitioner=chosen, start__gte=span.start, start__lt=span.end)
            .exclude(status__in=calendar_data.FREED)
            .select_related("service")
            .order_by("start")
        )
    title = _("Day sheet")
    return TemplateResponse(
        request,
        "appointments/admin/day_sheet.html",
        {
            "page_title": title,
            "header_title": title,
            "day": day,
            "practitioners": practitioners,
            "chosen": chosen,
            "appointments": appointments,
            "closures": list(calendar_data.closed_days(day, day).values()),
            "tz": tz,
        },
    )
