"""What a booking must look like before the booking service takes it: patient details, service and
practitioner checked, and the errors (with a message per field) that every caller catches.

A leaf of booking.py, which re-exports these names."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from . import slots as engine
from .models import Practitioner, Service
from .validators import CONTROL, CONTROL_EXCEPT_NEWLINE, PHONE

MAX_NAME = 100
MAX_EMAIL = 254
MAX_PHONE = 30
MAX_MESSAGE = 500
# A booking and its buffer last at most 480 + 240 minutes (Service's validators); a day leaves margin.
LONGEST_BOOKING = dt.timedelta(days=1)


class BookingError(Exception):
    """Something the patient can fix; carries messages per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class InvalidBooking(BookingError):
    pass


class SlotTaken(BookingError):
    def __init__(self, alternatives: list[engine.Slot]):
        super().__init__({"start": _("That time was just taken. Please choose another time.")})
        self.alternatives = alternatives


class TooLate(BookingError):
    pass


def clean_details(*, name: str, email: str, phone: str, message: str, consent: bool) -> dict[str, str]:
    """Normalised patient details; raises InvalidBooking with a message per bad field."""
    errors: dict[str, str] = {}
    values = {"name": name, "email": email, "phone": phone, "message": message}
    for key, value in values.items():
        if not isinstance(value, str):
            errors[key] = _("Enter text.")
    if errors:
        raise InvalidBooking(errors)
    name, email, phone, message = (v.strip() for v in (name, email, phone, message))
    # Browsers send a textarea's line breaks as CRLF but count each as one character against its
    # maxlength: measure what the patient saw, or a message the form accepted is refused here.
    message = message.replace("\r\n", "\n")
    if not name:
        errors["name"] = _("Enter your name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("Use at most %(n)s characters.") % {"n": MAX_NAME}
    elif CONTROL.search(name):
        errors["name"] = _("Use letters and spaces only, on one line.")
    if not email:
        errors["email"] = _("Enter your email address.")
    elif len(email) > MAX_EMAIL or CONTROL.search(email):
        errors["email"] = _("Enter a valid email address.")
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Enter a valid email address.")
    if phone and (CONTROL.search(phone) or not PHONE.match(phone)):
        errors["phone"] = _("Enter a phone number using digits, spaces and + ( ) - only.")
    if len(message) > MAX_MESSAGE:
        errors["message"] = _("Use at most %(n)s characters.") % {"n": MAX_MESSAGE}
    elif CONTROL_EXCEPT_NEWLINE.search(message):
        errors["message"] = _("Remove the special characters.")
    if consent is not True:
        errors["consent"] = _("Tick the box to let the clinic store your details, or phone us instead.")
    if errors:
        raise InvalidBooking(errors)
    return {"name": name, "email": email, "phone": phone, "message": message}


def resolve_service(slug) -> Service:
    if not isinstance(slug, str) or not slug:
        raise InvalidBooking({"service": _("Choose a service.")})
    if CONTROL.search(slug):
        raise InvalidBooking({"service": _("Unknown service.")})
    service = Service.objects.filter(slug=slug[:60], active=True).first()
    if service is None:
        raise InvalidBooking({"service": _("Unknown service.")})
    return service


def resolve_practitioner(service: Service, slug) -> Practitioner | None:
    if slug in (None, "", "anyone"):
        return None
    if not isinstance(slug, str) or CONTROL.search(slug):
        raise InvalidBooking({"practitioner": _("Unknown practitioner.")})
    practitioner = service.practitioners.filter(slug=slug[:60], active=True).first()
    if practitioner is None:
        raise InvalidBooking({"practitioner": _("This practitioner does not offer this service.")})
    return practitioner
