"""Health data duties: export or delete one patient's bookings, and purge details after retention."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone
from wagtail import hooks

from .availability import booking_settings
from .models import Appointment
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


def bookings_for(email: str):
    return Appointment.objects.filter(email__iexact=email.strip()).select_related("service", "practitioner")


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


def export_rows(email: str) -> list[dict]:
    rows = []
    for appointment in bookings_for(email).order_by("start"):
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


def contact_messages_for(email: str):
    """Contact-form submissions that carry this email address."""
    from wagtail.contrib.forms.models import FormSubmission

    from .models import ContactPage

    email = email.strip().lower()
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
# under this Wagtail hook, called with email= inside the erasure's transaction: all or nothing.
ERASE_HOOK = "erase_patient_data"


def delete_patient(email: str) -> int:
    """Delete every booking, contact message and waitlist entry made with this email, and the outbox's
    copies of those messages; the slots are released."""
    with transaction.atomic():
        count, _ = bookings_for(email).delete()
        for submission in contact_messages_for(email):
            submission.delete()
        for task_result in contact_mail_tasks_for(email):
            task_result.delete()
        WaitlistEntry.objects.filter(email__iexact=email.strip()).delete()  # and their days and offers
        for erase in hooks.get_hooks(ERASE_HOOK):
            erase(email=email.strip())
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
