"""Members access that lasts while the patient is in care: passes given from an appointment.

A patient is known the way the bookings know them (appointments/patient_rules.py): by email
address (any case), or by phone digits for a booking without one. The pass keeps only a keyed
digest of that identity, never the address or number itself, and the two days its end is
computed from: the last visit marked attended and the last confirmed visit booked.

Active means a confirmed visit (counted through the end of its day, so reception has the day to
mark it attended) or a visit attended within `MembersPolicy.care_days` days. The end is stored in
the pass's own `valid_until`, which the access check already reads, so the check costs what it
did. It is recomputed whenever one of the patient's appointments is saved or deleted (receivers.py)
and when the policy's number of days changes; every change writes a new access version.

Members and appointments are independent apps: appointments are read through the app registry
(`apps.get_model`), never imported.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import zoneinfo
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from caching.tokens import access_version
from pages.models import ClinicSettings

from . import passes
from .access_models import MembersPolicy, PatientPass

ATTENDED = "attended"
CONFIRMED = "confirmed"
MIN_PHONE_DIGITS = 5  # as the bookings' own one-patient rule
NOT_DIGIT = re.compile(r"\D")
REMOVED_LABEL = "(removed)"


def _appointments():
    return apps.get_model("appointments", "Appointment")


def clinic_zone() -> zoneinfo.ZoneInfo:
    # Read, never created: for_site() would save a settings row (and purge every stored page).
    name = (
        ClinicSettings.objects.filter(site__is_default_site=True).values_list("time_zone", flat=True).first()
        or ClinicSettings._meta.get_field("time_zone").default
    )
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# --- Identity -------------------------------------------------------------------------------


def _digest(text: str) -> str:
    key = hashlib.sha256(b"members-patient:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def phone_digits(phone: str) -> str:
    return NOT_DIGIT.sub("", phone or "")


@dataclass(frozen=True)
class Identity:
    """One way of recognising the patient's bookings: ("email", address) or ("phone", digits)."""

    kind: str
    value: str

    @property
    def key(self) -> str:
        return _digest(f"{self.kind}:{self.value}")

    def bookings(self):
        Appointment = _appointments()
        found = Appointment.objects.filter(purged_at__isnull=True)
        if self.kind == "email":
            return found.filter(email__iexact=self.value)
        # Phone numbers are stored as typed: match the digits with anything between them.
        pattern = "^[^0-9]*" + "[^0-9]*".join(self.value) + "[^0-9]*$"
        return found.filter(phone__regex=pattern)


def identities_of(*, email: str, phone: str) -> list[Identity]:
    """Every identity a booking with these details can be recognised by."""
    found = []
    if email.strip():
        found.append(Identity("email", email.strip().casefold()))
    digits = phone_digits(phone)
    if len(digits) >= MIN_PHONE_DIGITS:
        found.append(Identity("phone", digits))
    return found


def identity_for_pass(appointment) -> Identity | None:
    """The one identity a new pass follows: the email address, else the phone number."""
    found = identities_of(email=appointment.email, phone=appointment.phone)
    return found[0] if found else None


# --- The rule -------------------------------------------------------------------------------


def _day_end(day: datetime.date, tz) -> datetime.datetime:
    """The first instant after `day` in the clinic's zone (DST-correct)."""
    following = day + datetime.timedelta(days=1)
    return datetime.datetime.combine(following, datetime.time.min, tzinfo=tz).astimezone(datetime.UTC)


def active_until(*, last_attended_on, booked_until_on, care_days: int, tz) -> datetime.datetime | None:
    """Until when these visits keep the patient active (None: no visit counts)."""
    ends = []
    if last_attended_on is not None:
        ends.append(_day_end(last_attended_on + datetime.timedelta(days=care_days), tz))
    if booked_until_on is not None:
        ends.append(_day_end(booked_until_on, tz))
    return max(ends) if ends else None


def visit_days(bookings, tz) -> tuple[datetime.date | None, datetime.date | None]:
    """(last attended visit's day, last confirmed visit's day) among these bookings."""
    last_attended = bookings.filter(status=ATTENDED).order_by("-start").values_list("start", flat=True).first()
    last_booked = bookings.filter(status=CONFIRMED).order_by("-start").values_list("start", flat=True).first()
    return (
        last_attended.astimezone(tz).date() if last_attended else None,
        last_booked.astimezone(tz).date() if last_booked else None,
    )


def covers_now(appointment, *, now: datetime.datetime, care_days: int, tz) -> bool:
    """Does this one appointment make its patient active now? (Attended, or booked and upcoming.)"""
    day = appointment.start.astimezone(tz).date()
    if appointment.status == ATTENDED:
        until = active_until(last_attended_on=day, booked_until_on=None, care_days=care_days, tz=tz)
    elif appointment.status == CONFIRMED:
        until = active_until(last_attended_on=None, booked_until_on=day, care_days=care_days, tz=tz)
    else:
        return False
    return now < until


def _apply(item: PatientPass, *, last_attended_on, booked_until_on, care_days: int, tz, now) -> bool:
    """Store the visit days and the end they give; True (and a new access version) if anything changed."""
    until = active_until(last_attended_on=last_attended_on, booked_until_on=booked_until_on, care_days=care_days, tz=tz)
    if until is None:
        until = min(item.valid_until, now)  # nothing counts any more: it ends now (or stays ended)
    new = {"last_attended_on": last_attended_on, "booked_until_on": booked_until_on, "valid_until": until}
    if all(getattr(item, name) == value for name, value in new.items()):
        return False
    PatientPass.objects.filter(pk=item.pk).update(**new)
    for name, value in new.items():
        setattr(item, name, value)
    access_version.replace_now_and_on_commit()  # update() sends no signal; every process must see it
    return True


def recompute(item: PatientPass, identity: Identity, *, now: datetime.datetime) -> bool:
    tz = clinic_zone()
    attended, booked = visit_days(identity.bookings(), tz)
    care_days = MembersPolicy.load().care_days
    return _apply(item, last_attended_on=attended, booked_until_on=booked, care_days=care_days, tz=tz, now=now)


def appointment_changed(*, identities: list[Identity], now: datetime.datetime) -> int:
    """Recompute the open passes that follow any of these identities; how many changed."""
    by_key = {identity.key: identity for identity in identities}
    if not by_key:
        return 0
    changed = 0
    with transaction.atomic():
        # Locked first, then the bookings read: two changes at once for one patient are applied
        # one after the other, the second seeing the first's committed bookings.
        linked = PatientPass.objects.select_for_update().filter(
            in_care=True, revoked_at__isnull=True, patient_key__in=list(by_key)
        )
        for item in linked:
            changed += recompute(item, by_key[item.patient_key], now=now)
    return changed


def policy_changed(*, now: datetime.datetime) -> int:
    """The number of days changed: every open in-care pass gets its end again from its stored days."""
    tz, care_days, changed = clinic_zone(), MembersPolicy.load().care_days, 0
    with transaction.atomic():
        for item in PatientPass.objects.select_for_update().filter(in_care=True, revoked_at__isnull=True):
            changed += _apply(
                item,
                last_attended_on=item.last_attended_on,
                booked_until_on=item.booked_until_on,
                care_days=care_days,
                tz=tz,
                now=now,
            )
    return changed


# --- Staff actions --------------------------------------------------------------------------


class NotEligible(Exception):
    """This appointment cannot give members access (the message says why, for staff)."""


def open_pass_for(appointment) -> PatientPass | None:
    identity = identity_for_pass(appointment)
    if identity is None:
        return None
    return PatientPass.objects.filter(in_care=True, revoked_at__isnull=True, patient_key=identity.key).first()


def give_access(*, appointment, now: datetime.datetime, user=None) -> tuple[PatientPass, bool]:
    """The patient's open in-care pass, made from this appointment if they have none; (pass, made now)."""
    identity = identity_for_pass(appointment)
    if identity is None:
        raise NotEligible("This booking has no email address or phone number to link a pass to.")
    tz, care_days = clinic_zone(), MembersPolicy.load().care_days
    if not covers_now(appointment, now=now, care_days=care_days, tz=tz):
        raise NotEligible("Members access is given from a visit that is attended, or confirmed and upcoming.")
    existing = open_pass_for(appointment)
    if existing is not None:
        return existing, False
    reference = getattr(appointment, "reference", "")
    try:
        with transaction.atomic():
            item, _code = passes.issue(label=f"Booking {reference}", valid_until=now, now=now, user=user)
            PatientPass.objects.filter(pk=item.pk).update(in_care=True, patient_key=identity.key)
            item.in_care, item.patient_key = True, identity.key
            recompute(item, identity, now=now)
    except IntegrityError:
        # Someone else gave this patient a pass at the same moment (the one-open-pass constraint).
        existing = open_pass_for(appointment)
        if existing is None:
            raise
        return existing, False
    return item, True


def erase_patient(*, email: str, phone: str = "", now: datetime.datetime) -> int:
    """Erasing a patient's data: revoke their passes and remove the link; how many passes. A patient
    without email (booked by phone or at the desk) is found by the phone number their pass follows."""
    identities = identities_of(email=email, phone=phone)
    if not identities:
        return 0
    found = PatientPass.objects.filter(in_care=True, patient_key=identities[0].key)
    count = found.update(
        revoked_at=now,
        patient_key="",
        last_attended_on=None,
        booked_until_on=None,
        label=REMOVED_LABEL,
        code_encrypted="",
    )
    access_version.replace_now_and_on_commit()
    return count


# --- The staff screen's counts --------------------------------------------------------------


def counts(*, now: datetime.datetime) -> dict[str, int]:
    """Passes open now that follow a patient's care, open hand-issued ones, and passes whose end
    (running out or revocation, whichever came first) fell in this calendar month so far."""
    tz = clinic_zone()
    local = now.astimezone(tz)
    month_start = datetime.datetime.combine(local.date().replace(day=1), datetime.time.min, tzinfo=tz)
    open_now = PatientPass.objects.filter(revoked_at__isnull=True, valid_until__gt=now)
    ran_out = Q(valid_until__gte=month_start, valid_until__lte=now) & (
        Q(revoked_at__isnull=True) | Q(revoked_at__gte=F("valid_until"))
    )
    revoked = Q(revoked_at__gte=month_start, revoked_at__lte=now, revoked_at__lt=F("valid_until"))
    return {
        "in_care": open_now.filter(in_care=True).count(),
        "by_hand": open_now.filter(in_care=False).count(),
        "ended_this_month": PatientPass.objects.filter(ran_out | revoked).count(),
    }
