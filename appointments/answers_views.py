"""Booking step 4: the patient's details, then "Check your answers", where the one booking is made.

Nothing is saved until the patient presses the button on the check page. Their answers wait in
their session as a draft (drafts.py) whose one-time token makes a second press, a reload, Back and
resubmit or another tab land on the booking already made.
"""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from throttling.limits import Limit, client_address

from . import booking, drafts, online_limits
from . import slots as engine
from .availability import clinic_zone, find_slots
from .online_booking import book_online, is_staff
from .patient_rules import PatientClash, SameDayRepeat
from .views import _choice, _common, _site, bad_step, draft_id, parse_start, private, see_other, step_query

EMPTY_FORM = {"name": "", "email": "", "phone": "", "message": "", "consent": False}


# Attempts, successful or not, per client address: a bound on scripted form posts.
BOOKING_ATTEMPTS = Limit("book-attempts", limit=20, seconds=3600)


def _to_booking(request, draft: dict, *, first_time: bool = False):
    """The booking this draft made: shown, never made again."""
    if not first_time:
        # A second press or another tab may have booked while this session still held the answers.
        drafts.mark_done_by_token(request.session, draft["token"])
    flag = "new=1" if first_time else "already=1"
    return see_other(reverse("appointments:manage", args=[drafts.manage_token_for(draft)]) + "?" + flag)


def _nearest(request, service, practitioner, start: dt.datetime) -> list[engine.Slot]:
    """The free times nearest to one that has gone, a few days either side."""
    day = start.astimezone(clinic_zone(_site(request))).date()
    free = find_slots(
        service=service,
        practitioner=practitioner,
        first_day=day - dt.timedelta(days=3),
        last_day=day + dt.timedelta(days=7),
        site=_site(request),
    )
    return engine.nearest(free, to=start)


@require_http_methods(["GET", "POST"])
@private
def details(request):
    service, practitioner, errors = _choice(request, strict=False)
    if errors:
        return bad_step(request, errors)
    data = request.POST if request.method == "POST" else request.GET
    draft_key = draft_id(request)
    draft = drafts.get(request.session, draft_key)
    if draft and draft.get("done"):
        return _to_booking(request, draft)
    start = parse_start(data.get("start", ""))
    taken = parse_start(data.get("taken", ""))
    if start is None and taken is None:
        return bad_step(request, {"start": _("Choose a time first.")})
    form = dict(EMPTY_FORM)
    if draft:
        form.update({k: draft.get(k, "") for k in drafts.DETAIL_KEYS}, consent=True)
    errors, alternatives, status = {}, [], 200
    if start is None:
        # The "just taken" form sent without picking one of the free times: nothing is chosen for them.
        errors, alternatives, status = {"start": _("Choose one of the free times.")}, None, 400
    if request.method == "GET" and start is not None:
        done = drafts.done_for(request.session, service=service.slug, start=start.isoformat())
        made = drafts.booked(done) if done else None
        if made is not None and made.is_active:
            # Back after booking: this patient's own booking holds the time; show it, not "just taken".
            return _to_booking(request, done)
        # A bookmark, the back button or an edited link can name a time that is past or gone:
        # say so before the patient types their details, not after.
        errors, alternatives, status = _check_start(request, service, practitioner, start)
    elif request.method == "POST":
        form = {key: request.POST.get(key, "") for key in drafts.DETAIL_KEYS}
        form["consent"] = request.POST.get("consent") == "yes"
        try:
            cleaned = booking.clean_details(**form)
        except booking.InvalidBooking as invalid:
            errors, status = {**invalid.errors, **errors}, 400
        if start is not None and not errors:
            errors, alternatives, status = _check_start(request, service, practitioner, start)
        if not errors:
            choice = {
                "service": service.slug,
                "practitioner": practitioner.slug if practitioner else "anyone",
                "start": start.isoformat(),
            }
            key = drafts.save(request.session, draft_id=draft_key, choice=choice, details=cleaned)
            return see_other(reverse("appointments:check", args=[key]))
    if alternatives is None:
        alternatives = _nearest(request, service, practitioner, taken)
    shown = start or taken
    tz = clinic_zone(_site(request))
    return render(
        request,
        "appointments/details.html",
        _common(
            request,
            service=service,
            practitioner=practitioner,
            start=shown.astimezone(tz),
            start_value=shown.isoformat(),
            form=form,
            errors=errors,
            alternatives=alternatives,
            step=4,
            draft=draft_key if draft else "",
            query=step_query(service, practitioner, draft=draft_key if draft else ""),
            day=shown.astimezone(tz).date(),
            max_message=booking.MAX_MESSAGE,
        ),
        status=status,
    )


def _check_start(request, service, practitioner, start):
    try:
        booking.check_start(service=service, practitioner=practitioner, start=start, site=_site(request))
    except booking.SlotTaken as taken:
        return taken.errors, taken.alternatives, 409
    except booking.InvalidBooking as invalid:
        return invalid.errors, [], 400
    return {}, [], 200


@require_http_methods(["GET", "POST"])
@private
def check(request, draft):
    answers = drafts.get(request.session, draft)
    if answers is None:
        return bad_step(
            request,
            {
                "form": _(
                    "We no longer have these answers (they are kept for a day, in this browser only). "
                    "If you booked, the confirmation is in your email. Otherwise, please start again."
                )
            },
        )
    if answers.get("done"):
        return _to_booking(request, answers)
    if drafts.booked(answers):
        return _to_booking(request, answers)
    errors, alternatives, status, repeat_of, retry_after = {}, [], 200, None, 0
    if request.method == "POST" and request.POST.get("action") == "time":
        # One of the nearest free times, picked after the chosen one was taken: the summary shows it before booking.
        start = parse_start(request.POST.get("start", ""))
        service, practitioner, choice_errors = _draft_choice(answers)
        if choice_errors:
            return bad_step(request, choice_errors)
        if start is None:
            errors, status = {"start": _("Choose one of the free times.")}, 400
            alternatives = _nearest(request, service, practitioner, parse_start(answers["start"]))
        else:
            errors, alternatives, status = _check_start(request, service, practitioner, start)
            if not errors:
                drafts.update_choice(request.session, draft, start=start.isoformat())
                return see_other(reverse("appointments:check", args=[draft]))
    elif request.method == "POST":
        if not BOOKING_ATTEMPTS.hit(client_address(request)).allowed:
            errors = {"form": _("Too many booking attempts from here. Please wait a while or phone the clinic.")}
            status = 429
        else:
            try:
                book_online(
                    client=client_address(request),
                    staff=is_staff(request.user),
                    service=answers["service"],
                    practitioner=None if answers["practitioner"] == "anyone" else answers["practitioner"],
                    start=parse_start(answers["start"]),
                    name=answers["name"],
                    email=answers["email"],
                    phone=answers["phone"],
                    message=answers["message"],
                    consent=True,
                    site=_site(request),
                    manage_token=drafts.manage_token_for(answers),
                    patient_rules=True,
                    same_day_ok=request.POST.get("repeat") == "yes",
                )
            except online_limits.LimitReached as refused:
                errors, status, retry_after = {"form": refused.message}, 429, refused.retry_after
            except (booking.BookingError, PatientClash, SameDayRepeat) as problem:
                if drafts.booked(answers):
                    return _to_booking(request, answers)
                errors = problem.errors
                status = 400 if isinstance(problem, booking.InvalidBooking) else 409
                if isinstance(problem, booking.SlotTaken):
                    alternatives = problem.alternatives
                if isinstance(problem, SameDayRepeat):
                    repeat_of = problem.appointment
            else:
                drafts.mark_done(request.session, draft)
                return _to_booking(request, answers, first_time=True)
    service, practitioner, choice_errors = _draft_choice(answers)
    if choice_errors:
        return bad_step(request, choice_errors)
    tz = clinic_zone(_site(request))
    start = parse_start(answers["start"]).astimezone(tz)
    response = render(
        request,
        "appointments/check.html",
        _common(
            request,
            answers=answers,
            draft=draft,
            service=service,
            practitioner=practitioner,
            start=start,
            errors=errors,
            alternatives=alternatives,
            repeat_of=repeat_of,
            repeat_start=repeat_of.start.astimezone(tz) if repeat_of else None,
            step=5,
            query=step_query(service, practitioner, draft=draft),
            time_query=step_query(service, practitioner, draft=draft, day=start.date().isoformat()),
            details_query=step_query(service, practitioner, draft=draft, start=answers["start"]),
        ),
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _draft_choice(answers: dict):
    try:
        service = booking.resolve_service(answers["service"])
        practitioner = booking.resolve_practitioner(service, answers["practitioner"])
    except booking.InvalidBooking as error:
        return None, None, error.errors
    return service, practitioner, {}
