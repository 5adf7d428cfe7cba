"""The waitlist's patient pages: join for days without free times, take an offered time, leave."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from throttling.limits import client_address

from . import booking, online_limits, waitlist
from .availability import booking_settings, clinic_zone
from .day_picker import monday
from .online_booking import is_staff
from .views import _choice, _common, _site, bad_step, parse_day, private, see_other, step_query


def _days_offered(request, week_start: dt.date) -> list[dt.date]:
    """The days of the week that can be waited for: after today, within the booking horizon."""
    site = _site(request)
    today = timezone.now().astimezone(clinic_zone(site)).date()
    last = today + dt.timedelta(days=booking_settings(site).horizon_days)
    return [d for d in (week_start + dt.timedelta(days=i) for i in range(7)) if today < d <= last]


@require_http_methods(["GET", "POST"])
@private
def join(request):
    service, practitioner, errors = _choice(request, strict=False)
    if errors:
        return bad_step(request, errors)
    data = request.POST if request.method == "POST" else request.GET
    week = parse_day(data.get("week", ""))
    if week is None:
        return bad_step(request, {"day": _("Choose a week from the day step first.")})
    days = _days_offered(request, monday(week))
    form = {"name": "", "email": "", "phone": "", "consent": False, "days": []}
    errors, status, retry_after = {}, 200, 0
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in ("name", "email", "phone")}
        form["consent"] = request.POST.get("consent") == "yes"
        chosen = [parse_day(value) for value in request.POST.getlist("days")[: waitlist.MAX_DAYS + 1]]
        form["days"] = [d for d in chosen if d]
        try:
            if any(d is None or d not in days for d in chosen):
                raise booking.InvalidBooking({"days": _("Choose days from the list.")})
            # Staff signing a patient up (the front desk, on these pages) are not held to online limits.
            limits = (
                contextlib.nullcontext()
                if is_staff(request.user)
                else online_limits.counted(
                    client=client_address(request), email=form["email"], site=_site(request), waitlist=True
                )
            )
            with limits:
                waitlist.join(
                    service=service,
                    practitioner=practitioner,
                    days=form["days"],
                    name=form["name"],
                    email=form["email"],
                    phone=form["phone"],
                    consent=form["consent"],
                    site=_site(request),
                )
        except booking.InvalidBooking as invalid:
            errors, status = invalid.errors, 400
        except online_limits.LimitReached as refused:
            errors, status, retry_after = {"form": refused.message}, 429, refused.retry_after
        else:
            return see_other(reverse("appointments:waitlist_joined"))
    response = render(
        request,
        "appointments/waitlist/join.html",
        _common(
            request,
            service=service,
            practitioner=practitioner,
            days=days,
            week=monday(week),
            form=form,
            errors=errors,
            step=None,
            query=step_query(service, practitioner),
        ),
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_GET
@private
def joined(request):
    return render(request, "appointments/waitlist/joined.html", _common(request, step=None))


@require_http_methods(["GET", "POST"])
@private
def offer(request, token):
    found = waitlist.offer_for(token)
    booked = waitlist.booked_by(token) if found else None
    if booked is not None:
        return see_other(reverse("appointments:manage", args=[waitlist.manage_token_for_offer(token)]) + "?already=1")
    reason, status = "", 200
    if found is None:
        reason, status = "expired", 404
    elif found.outcome == found.Outcome.GONE:
        reason, status = "gone", 410
    elif found.expires_at <= timezone.now():
        reason, status = "expired", 410
    elif request.method == "POST" and request.POST.get("action") == "leave":
        waitlist.leave_by_offer(found)
        return render(request, "appointments/waitlist/left.html", _common(request, step=None))
    elif request.method == "POST":
        try:
            waitlist.accept(token=token, site=_site(request))
        except waitlist.OfferUnavailable as unavailable:
            if unavailable.reason == "used":
                url = reverse("appointments:manage", args=[waitlist.manage_token_for_offer(token)])
                return see_other(url + "?already=1")
            reason, status = unavailable.reason, 409 if unavailable.reason in ("gone", "clash") else 410
        else:
            return see_other(reverse("appointments:manage", args=[waitlist.manage_token_for_offer(token)]) + "?new=1")
    tz = clinic_zone(_site(request))
    return render(
        request,
        "appointments/waitlist/offer.html",
        _common(
            request,
            offer=found,
            start=found.start.astimezone(tz) if found else None,
            reason=reason,
            token=token,
            step=None,
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@private
def leave(request, token):
    entry = waitlist.entry_for_leave(token) if len(token) <= 100 else None
    if entry is None:
        return render(request, "appointments/waitlist/left.html", _common(request, step=None, unknown=True), status=404)
    if request.method == "POST":
        waitlist.leave(token)
        return render(request, "appointments/waitlist/left.html", _common(request, step=None))
    return render(request, "appointments/waitlist/leave.html", _common(request, entry=entry, token=token, step=None))
