"""The public JSON API at /api/v1/ (django-ninja). It calls the same booking service as the HTML flow."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import Throttled, ValidationError
from ninja.throttling import BaseThrottle
from pydantic import AfterValidator, BeforeValidator
from wagtail.models import Site

from throttling.limits import Limit, client_address

from . import booking, online_limits
from .api_guard import json_from_this_site
from .availability import clinic_zone, find_slots
from .emails import manage_url
from .models import Service
from .online_booking import book_online

MAX_RANGE_DAYS = 62


class ClientThrottle(BaseThrottle):
    """Requests per client address per minute; the rate is read at request time so tests can change it."""

    def __init__(self, scope: str, setting: str, default: int):
        self.scope, self.setting, self.default = scope, setting, default

    def allow_request(self, request) -> bool:
        limit = getattr(settings, self.setting, self.default)
        return Limit(f"api-{self.scope}", limit=limit, seconds=60).hit(client_address(request)).allowed

    def wait(self):
        return 60


# Swagger UI (served from ninja's own static files, never a CDN) sets inline styles and loads data: images.
docs_csp = csp_update({"style-src": [UNSAFE_INLINE], "img-src": ["data:"]})

api = NinjaAPI(
    title="Clinic appointments API",
    version="1",
    description=(
        "Services, free times and online booking. Times are ISO 8601 with the clinic's UTC offset.\n\n"
        "Every error answers with `detail` (one sentence) and `errors` (a message per field): "
        "422 when the request does not match this schema, 400 when the clinic's rules refuse it "
        "(an unknown service or practitioner, a time that is not offered), 409 when the time was "
        "just taken, 413 when the body is too large, 415 when the body is not JSON, 429 when a limit is reached."
    ),
    urls_namespace="api-v1",
    docs_decorator=docs_csp,
    throttle=[ClientThrottle("read", "APPOINTMENTS_API_READS_PER_MINUTE", 120)],
    # Relative: the document describes the site that serves it, whatever its host name.
    servers=[{"url": "/", "description": "This site"}],
)
# Every operation is public; say so, rather than leave clients guessing about authentication.
PUBLIC = {"security": []}


class ServiceOut(Schema):
    slug: str
    name: str
    duration: int = Field(description="Minutes")
    confirmation: str = Field(description="'instant' or 'request' (staff confirm)")
    practitioners: list[str]


class SlotOut(Schema):
    start: str = Field(description="ISO 8601 with the clinic's UTC offset", examples=["2027-01-12T10:00:00+00:00"])
    end: str = Field(description="ISO 8601 with the clinic's UTC offset")
    practitioner: str


class AvailabilityOut(Schema):
    slots: list[SlotOut]


class AvailabilityQuery(Schema):
    service: str = Field(..., min_length=1, max_length=60)
    from_: dt.date = Field(..., alias="from")
    to: dt.date
    practitioner: str | None = Field(None, max_length=60)


class ErrorOut(Schema):
    """The one shape of every error: also 422 (schema) and 429 (limits), so clients read one thing."""

    detail: str = Field(description="What went wrong, in one sentence")
    errors: dict[str, str] = Field({}, description="A message per field name, when a field is at fault")


class TakenOut(Schema):
    detail: str
    errors: dict[str, str] = {}
    alternatives: list[SlotOut] = []


# The schema states what booking.clean_details() accepts, and pydantic enforces the same, so a
# request the document allows is never refused for its form (schemathesis checks both ways).
ONE_LINE = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
# At least one visible character: the booking service strips spaces and refuses an empty name.
SOME_TEXT = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*[^\s\x00-\x1f\x7f-\x9f\u2028\u2029][^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
# Line breaks (LF or CRLF) but no other control characters.
LINES = r"^(?:[^\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]|\r\n)*$"
# Empty, or 5 to 30 of digits, spaces and + ( ) - . that neither start nor end with a space.
PHONE = r"^(?:[0-9+().-][0-9+(). -]{3,28}[0-9+().-])?$"


def _email(value: str) -> str:
    if value != value.strip():
        raise ValueError(_("Enter a valid email address."))
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValueError(_("Enter a valid email address.")) from None
    return value


def _json_boolean(value):
    # JSON true only: pydantic would take 1 for True, which the schema (a boolean) does not allow.
    if not isinstance(value, bool):
        raise ValueError(_("Tick the box to let the clinic store your details, or phone us instead."))
    return value


class BookingIn(Schema):
    service: str = Field(
        ...,
        min_length=1,
        max_length=60,
        pattern=SOME_TEXT,
        description="A service's slug",
        examples=["initial-evaluation"],
    )
    start: dt.datetime = Field(
        ..., description="ISO 8601 with offset, one of the offered slot starts", examples=["2027-01-12T10:00:00+00:00"]
    )
    practitioner: str | None = Field(
        None,
        max_length=60,
        pattern=ONE_LINE,
        description="A practitioner's slug; empty or 'anyone' for anyone",
        examples=["anyone"],
    )
    name: str = Field(..., min_length=1, max_length=booking.MAX_NAME, pattern=SOME_TEXT, examples=["Pat Patient"])
    email: Annotated[str, AfterValidator(_email)] = Field(
        ..., max_length=booking.MAX_EMAIL, json_schema_extra={"format": "email"}, examples=["pat@example.org"]
    )
    phone: str = Field("", max_length=booking.MAX_PHONE, pattern=PHONE, examples=["+44 20 7946 0001"])
    message: str = Field("", max_length=booking.MAX_MESSAGE, pattern=LINES)
    consent: Annotated[Literal[True], BeforeValidator(_json_boolean)] = Field(
        ..., description="Consent to the clinic storing these details; must be true"
    )


class BookingOut(Schema):
    reference: str
    link: str = Field(description="Private link to view, change or cancel; keep it secret")
    status: str
    start: str
    end: str
    practitioner: str


@api.exception_handler(ValidationError)
def invalid_request(request, exc: ValidationError):
    """422 in the shape of ErrorOut (ninja's default is a list under `detail`, which the schema never said)."""
    errors: dict[str, str] = {}
    for error in exc.errors:
        # ("body", "data", "email") -> "email"; a body that is missing altogether -> "body".
        where = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "data")]
        field = ".".join(where) or "body"
        errors.setdefault(field, str(error.get("msg", _("Invalid value."))).removeprefix("Value error, "))
    return api.create_response(request, {"detail": _("Invalid request."), "errors": errors}, status=422)


@api.exception_handler(Throttled)
def too_many_per_minute(request, exc: Throttled):
    """429 of the per-minute limits in the shape of ErrorOut; a refused booking, like every other
    booking refusal, says how to phone the clinic (ninja's default said only "Too many requests.")."""
    if request.method == "POST":
        detail = _(
            "This connection has tried to book too often in the last minute. Wait a minute and try again, or %(phone)s."
        ) % {"phone": online_limits.how_to_phone(_site(request))}
    else:
        detail = _("This connection has asked too often in the last minute. Wait a minute and try again.")
    return api.create_response(request, {"detail": detail, "errors": {}}, status=429)


def _site(request):
    return Site.find_for_request(request)


def _slot_out(slot, tz):
    return {
        "start": slot.start.astimezone(tz).isoformat(),
        "end": slot.end.astimezone(tz).isoformat(),
        "practitioner": slot.practitioner,
    }


@api.get("/services", response={200: list[ServiceOut], 429: ErrorOut}, tags=["booking"], openapi_extra=PUBLIC)
def services(request):
    rows = Service.objects.filter(active=True).prefetch_related("practitioners")
    return [
        {
            "slug": s.slug,
            "name": s.name,
            "duration": s.duration_minutes,
            "confirmation": s.confirmation,
            "practitioners": [p.slug for p in s.practitioners.all() if p.active],
        }
        for s in rows
    ]


@api.get(
    "/availability",
    response={200: AvailabilityOut, frozenset({400, 422, 429}): ErrorOut},
    tags=["booking"],
    openapi_extra=PUBLIC,
)
def availability(request, filters: Query[AvailabilityQuery]):
    try:
        service = booking.resolve_service(filters.service)
        practitioner = booking.resolve_practitioner(service, filters.practitioner)
    except booking.InvalidBooking as error:
        return Status(400, {"detail": _("Invalid query."), "errors": error.errors})
    if filters.to < filters.from_:
        return Status(400, {"detail": _("Invalid query."), "errors": {"to": _("'to' must not be before 'from'.")}})
    if (filters.to - filters.from_).days > MAX_RANGE_DAYS:
        return Status(
            400,
            {
                "detail": _("Invalid query."),
                "errors": {"to": _("Ask for at most %(n)s days at a time.") % {"n": MAX_RANGE_DAYS}},
            },
        )
    site = _site(request)
    tz = clinic_zone(site)
    slots = find_slots(
        service=service, practitioner=practitioner, first_day=filters.from_, last_day=filters.to, site=site
    )
    return Status(200, {"slots": [_slot_out(s, tz) for s in slots]})


@api.post(
    "/bookings",
    response={201: BookingOut, 409: TakenOut, frozenset({400, 403, 413, 415, 422, 429}): ErrorOut},
    tags=["booking"],
    openapi_extra=PUBLIC,
    throttle=[ClientThrottle("book", "APPOINTMENTS_API_BOOKINGS_PER_MINUTE", 10)],
)
@decorate_view(json_from_this_site)
def create_booking(request, data: BookingIn, response: HttpResponse):
    # The answer carries the private link: no cache may keep it.
    response["Cache-Control"] = "private, no-store"
    site = _site(request)
    tz = clinic_zone(site)
    try:
        booked = book_online(
            client=client_address(request),
            service=data.service,
            start=data.start,
            practitioner=data.practitioner,
            name=data.name,
            email=data.email,
            phone=data.phone,
            message=data.message,
            consent=data.consent,
            site=site,
        )
    except online_limits.LimitReached as refused:
        if refused.retry_after:
            response["Retry-After"] = str(refused.retry_after)
        return Status(429, {"detail": refused.message, "errors": {}})
    except booking.SlotTaken as taken:
        return Status(
            409,
            {
                "detail": taken.errors["start"],
                "errors": taken.errors,
                "alternatives": [_slot_out(s, tz) for s in taken.alternatives],
            },
        )
    except booking.InvalidBooking as invalid:
        return Status(400, {"detail": _("Invalid booking."), "errors": invalid.errors})
    appointment = booked.appointment
    return Status(
        201,
        {
            "reference": appointment.reference,
            "link": manage_url(booked.manage_token),
            "status": appointment.status,
            "start": appointment.start.astimezone(tz).isoformat(),
            "end": appointment.end.astimezone(tz).isoformat(),
            "practitioner": appointment.practitioner.slug,
        },
    )
