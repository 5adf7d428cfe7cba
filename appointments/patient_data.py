"""Health data duties: export or delete one patient's bookings, and purge details after retention."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from wagtail import hooks

from .availability import booking_settings
from .models import Appointment
from .spreadsheets import csv_cell
from .waitlist import purge_past
from .waitlist_models import WaitlistEntry

PURGED_NAME = "(removed)"
PHONE_LIKE = re.compile(r"^[0-9+()\-. ]+$")
EXPORT_FIELDS = [
    "reference",
    "service",
    "practitioner",
    "start",
    "end",
    "status",
    "name",
    "email",
    "phone",
    "message",
    "note",
    "consent",
    "consent_at",
    "created_at",
]


MIN_PHONE_DIGITS = 5


@dataclass(frozen=True)
class Patient:
    """Whose data: an email address, or for a patient without one (booked by phone or at the desk) the
    phone number and name they were booked with. The name keeps a household's shared phone from
    opening, exporting or erasing another person's bookings."""

    email: str = ""
    phone: str = ""
    name: str = ""

    @classmethod
    def from_post(cls, data) -> Patient:
        def clean(key: str, size: int) -> str:
            return str(data.get(key, "")).strip()[:size].replace("\x00", "")

        email = clean("email", 254)
        if email:
            return cls(email=email)
        return cls(phone=clean("phone", 30), name=clean("name", 100))

    @property
    def phone_digits(self) -> str:
        return re.sub(r"\D", "", self.phone)

    def __bool__(self) -> bool:
        return bool(self.email) or (len(self.phone_digits) >= MIN_PHONE_DIGITS and bool(self.name))

    def __str__(self) -> str:
        return self.email or f"{self.name} ({self.phone})"


def _patient(who: Patient | str) -> Patient:
    return who if isinstance(who, Patient) else Patient(email=who.strip())


def bookings_for(who: Patient | str):
    patient = _patient(who)
    found = Appointment.objects.select_related("service", "practitioner")
    if patient.email:
        return found.filter(email__iexact=patient.email)
    if not patient:
        return found.none()
    # The same digits however they were typed (spaces, dashes, brackets), and nothing more.
    phone = "^[^0-9]*" + "[^0-9]*".join(patient.phone_digits) + "[^0-9]*$"
    return found.filter(email="", phone__regex=phone, name__iexact=patient.name)


def waitlist_for(who: Patient | str):
    patient = _patient(who)
    if not patient.email:
        return WaitlistEntry.objects.none()  # joining the waitlist needs an email address
    return (
        WaitlistEntry.objects.filter(email__iexact=patient.email)
        .select_related("service", "practitioner")
        .prefetch_related("days", "offers")
    )


MIN_QUERY = 2
PATIENTS_SHOWN = 50


def find_patients(query: str) -> list[dict]:
    """Patients whose bookings match a name, phone number or email address, one row per patient
    (name, email and phone as booked), most recent first. Digits match a phone number however it
    was typed (spaces, dashes, +44)."""
    query = query.strip()[:254].replace("\x00", "")
    if len(query) < MIN_QUERY:
        return []
    matches = Appointment.objects.filter(purged_at__isnull=True)
    digits = re.sub(r"\D", "", query)
    if "@" in query:
        matches = matches.filter(email__iexact=query)
    elif len(digits) >= 5 and PHONE_LIKE.match(query):
        matches = matches.filter(phone__regex="[^0-9]*".join(digits))
    else:
        matches = matches.filter(name__icontains=query)
    patients: dict[tuple[str, str, str], dict] = {}
    for name, email, phone, start in matches.order_by("-start").values_list("name", "email", "phone", "start")[:2000]:
        key = (name, email.lower(), phone)
        if key not in patients:
            patients[key] = {"name": name, "email": email, "phone": phone, "last": start, "count": 0}
        patients[key]["count"] += 1
    return list(patients.values())[:PATIENTS_SHOWN]


def export_rows(who: Patient | str) -> list[dict]:
    rows = []
    for appointment in bookings_for(who).order_by("start"):
        row = {}
        for name in EXPORT_FIELDS:
            value = getattr(appointment, name)
            if isinstance(value, dt.datetime):
                value = value.isoformat()
            elif hasattr(value, "pk"):
                value = str(value)
            row[name] = value
        rows.append(row)
    return rows


def waitlist_rows(who: Patient | str) -> list[dict]:
    """The patient's waitlist entries: what they wait for, on which days, and the times offered to them."""
    return [
        {
            "service": str(entry.service),
            "practitioner": str(entry.practitioner) if entry.practitioner else "",
            "days": [day.day.isoformat() for day in entry.days.all()],
            "name": entry.name,
            "email": entry.email,
            "phone": entry.phone,
            "consent_at": entry.consent_at.isoformat(),
            "joined_at": entry.created_at.isoformat(),
            "offers": [{"start": o.start.isoformat(), "outcome": o.outcome} for o in entry.offers.all()],
        }
        for entry in waitlist_for(who)
    ]


def export_json(who: Patient | str) -> str:
    return json.dumps({"appointments": export_rows(who), "waitlist": waitlist_rows(who)}, indent=2)


def write_csv(out, who: Patient | str) -> None:
    """The bookings as one table; the waitlist entries, if any, as a second one below a blank line."""
    writer = csv.writer(out)
    rows = export_rows(who)
    writer.writerow(rows[0].keys() if rows else EXPORT_FIELDS)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row.values()])
    waiting = waitlist_rows(who)
    if waiting:
        writer.writerow([])
        writer.writerow(["waitlist " + key for key in waiting[0]])
        for row in waiting:
            row["days"] = " ".join(row["days"])
            row["offers"] = "; ".join(f"{o['start']} {o['outcome']}" for o in row["offers"])
            writer.writerow([csv_cell(v) for v in row.values()])


def contact_messages_for(who: Patient | str):
    """Contact-form submissions that carry this email address."""
    from wagtail.contrib.forms.models import FormSubmission

    from .models import ContactPage

    email = _patient(who).email.lower()
    if not email:
        return []
    candidates = FormSubmission.objects.filter(page__in=ContactPage.objects.all(), form_data__icontains=email)
    return [s for s in candidates if email in (str(v).strip().lower() for v in s.form_data.values())]


def _contact_mail_tasks():
    """Outbox rows of contact-form mail: their arguments hold the message and the sender's address."""
    from django_tasks_db.models import DBTaskResult

    from .plain_mail import LEGACY_TASK_PATH, send_plain_email

    return DBTaskResult.objects.filter(task_path__in=[send_plain_email.module_path, LEGACY_TASK_PATH])


def contact_mail_tasks_for(email: str) -> list:
    email = email.strip().lower()
    candidates = _contact_mail_tasks().filter(args_kwargs__icontains=email)
    return [
        t
        for t in candidates
        if email in (str(a).strip().lower() for a in (t.args_kwargs.get("kwargs", {}).get("reply_to") or []))
    ]


# Other apps that keep something tied to a patient (members' in-care passes) register a function
# under this Wagtail hook, called with email= and phone= inside the erasure's transaction: all or nothing.
ERASE_HOOK = "erase_patient_data"


def delete_patient(who: Patient | str) -> int:
    """Delete every booking, contact message and waitlist entry of this patient, and the outbox's
    copies of those messages; the slots are released."""
    patient = _patient(who)
    if not patient:
        return 0
    with transaction.atomic():
        count, _ = bookings_for(patient).delete()
        if patient.email:
            for submission in contact_messages_for(patient):
                submission.delete()
            for task_result in contact_mail_tasks_for(patient.email):
                task_result.delete()
            waitlist_for(patient).delete()  # and their days and offers
        for erase in hooks.get_hooks(ERASE_HOOK):
            erase(email=patient.email.strip(), phone="" if patient.email else patient.phone)
    return count


def months_ago(now: dt.datetime, months: int) -> dt.datetime:
    year, month = divmod(now.year * 12 + (now.month - 1) - months, 12)
    day = min(now.day, 28)
    return now.replace(year=year, month=month + 1, day=day)


def purge_expired(*, now: dt.datetime | None = None, dry_run: bool = False) -> int:
    """Blank the personal details of appointments that ended more than the retention period ago,
    and delete contact-form messages (and the outbox's sent copies of them) older than it.

    The appointment row stays (times, service, status) so the clinic's statistics still add up.
    """
    from wagtail.contrib.forms.models import FormSubmission

    from .models import ContactPage

    now = now or timezone.now()
    cutoff = months_ago(now, booking_settings().retention_months)
    due = Appointment.objects.filter(end__lt=cutoff, purged_at__isnull=True)
    old_messages = FormSubmission.objects.filter(page__in=ContactPage.objects.all(), submit_time__lt=cutoff)
    # The outbox keeps sent contact mail (message and sender's address) as a task row: same retention.
    old_mail = _contact_mail_tasks().filter(finished_at__lt=cutoff)
    if dry_run:
        return due.count()
    old_messages.delete()
    old_mail.delete()
    purge_past(now=now)
    return due.update(name=PURGED_NAME, email="removed@invalid", phone="", message="", note="", purged_at=now)
