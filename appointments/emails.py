"""Patient and clinic emails, sent through the durable "outbox" task backend.

Each email is a task whose row is written in the same transaction as the change that caused it,
so a booking is never saved without its mail nor mail queued for a booking that rolled back.
The task renders at send time from the current database state and re-checks that it still applies.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from pages.models import ClinicSettings

from .availability import booking_settings, clinic_zone
from .ics import appointment_calendar, clinic_location
from .mail import ClinicEmail
from .models import Appointment

# Contact-form mail queued before it moved is stored under this module's path: keep it importable.
from .plain_mail import send_plain_email  # noqa: F401
from .visit_info import visit_info

REDACTED = "[sent]"  # noqa: S105 - a marker, not a secret


def _clinic():
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    return ClinicSettings.for_site(site) if site else ClinicSettings(name="Clinic")


def manage_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("appointments:manage", args=[token])


def _subject(kind: str, appointment: Appointment, clinic_name: str) -> str:
    subjects = {
        "booked": _("Your appointment is booked"),
        "requested": _("We have your appointment request"),
        "confirmed": _("Your appointment is confirmed"),
        "declined": _("We could not confirm your appointment request"),
        "cancelled": _("Your appointment is cancelled"),
        "moved": _("Your appointment has moved"),
        "expired": _("Your appointment request has expired"),
        "reminder": _("Reminder of your appointment"),
        "restored": _("Your appointment is booked again"),
    }
    # The subject goes into a header: keep it to one line whatever staff type as the clinic name.
    return " ".join(f"{subjects[kind]} – {clinic_name} ({appointment.reference})".split())


def _patient_message(appointment: Appointment, kind: str, manage_token: str = "") -> ClinicEmail:  # nosec B107
    clinic = _clinic()
    tz = clinic_zone()
    with timezone.override(tz), translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            "appointments/email/patient.txt",
            {
                "kind": kind,
                "appointment": appointment,
                "clinic": clinic,
                "manage_url": manage_url(manage_token) if manage_token and manage_token != REDACTED else "",
                "start": appointment.start.astimezone(tz),
                "cutoff_hours": booking_settings().manage_cutoff_hours,
                "visit": visit_info(
                    appointment, clinic=clinic, tz=tz, cutoff_hours=booking_settings().manage_cutoff_hours
                ),
            },
        )
        subject = _subject(kind, appointment, clinic.name)
    message = ClinicEmail(
        subject=subject, body=body, to=[appointment.email], reply_to=[clinic.email] if clinic.email else None
    )
    if kind != "reminder":
        message.attach(
            "appointment.ics",
            appointment_calendar(
                appointment, clinic_name=clinic.name, organizer=clinic.email, location=clinic_location(clinic)
            ),
            "text/calendar",
        )
    return message


@task(backend="outbox", queue_name="email")
def send_patient_email(*, appointment_id: int, kind: str, sequence: int, manage_token: str = "") -> str:
    appointment = Appointment.objects.select_related("service", "practitioner").filter(pk=appointment_id).first()
    if appointment is None or appointment.purged_at:
        return "skipped: gone"
    if not appointment.email:
        return "skipped: no email address"  # booked by phone or at the desk; staff gave a printed slip
    superseded = appointment.sequence != sequence and kind in ("booked", "requested", "confirmed", "moved", "restored")
    if superseded and not manage_token:
        # A later change has its own email with the newer calendar entry. The first email still goes:
        # it carries the only copy of the patient's private link (rendered from the current state).
        return "skipped: superseded"
    _patient_message(appointment, kind, manage_token).send()
    return "sent"


@task(backend="outbox", queue_name="email")
def send_reminder(*, appointment_id: int, start: str) -> str:
    """Sent once, and only if the appointment is still confirmed at the time it was queued for."""
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update()
            .select_related("service", "practitioner")
            .filter(pk=appointment_id)
            .first()
        )
        if appointment is None or appointment.purged_at or appointment.reminder_sent_at:
            return "skipped: gone or already sent"
        if not appointment.email:
            return "skipped: no email address"
        if appointment.status != Appointment.Status.CONFIRMED:
            return "skipped: no longer confirmed"
        if appointment.start.isoformat() != start or appointment.start <= timezone.now():
            return "skipped: moved or past"
        _patient_message(appointment, "reminder").send()
        appointment.reminder_sent_at = timezone.now()
        appointment.save(update_fields=["reminder_sent_at"])
    return "sent"


@task(backend="outbox", queue_name="email")
def send_clinic_email(*, appointment_id: int) -> str:
    appointment = Appointment.objects.select_related("service", "practitioner").filter(pk=appointment_id).first()
    if appointment is None:
        return "skipped: gone"
    to = reception_address()
    tz = clinic_zone()
    with timezone.override(tz):
        body = render_to_string(
            "appointments/email/clinic.txt",
            {
                "appointment": appointment,
                "start": appointment.start.astimezone(tz),
                "admin_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/")
                + reverse("appointments_admin:detail", args=[appointment.pk]),
            },
        )
    kind = _("Request") if appointment.status == Appointment.Status.PENDING else _("Booking")
    subject = " ".join(f"{kind} {appointment.reference}: {appointment.service.name}".split())
    ClinicEmail(subject=subject, body=body, to=[to]).send()
    return "sent"


def reception_address() -> str:
    return booking_settings().notification_email or _clinic().email or settings.DEFAULT_FROM_EMAIL


@task(backend="outbox", queue_name="email")
def send_clinic_change_email(*, appointment_id: int, kind: str, previous_start: str = "") -> str:
    """Reception hears when a patient moves or cancels online, as it hears of new bookings."""
    appointment = Appointment.objects.select_related("service", "practitioner").filter(pk=appointment_id).first()
    if appointment is None or appointment.purged_at:
        return "skipped: gone"
    tz = clinic_zone()
    with timezone.override(tz), translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            "appointments/email/clinic_change.txt",
            {
                "kind": kind,
                "appointment": appointment,
                "start": appointment.start.astimezone(tz),
                "previous": dt.datetime.fromisoformat(previous_start).astimezone(tz) if previous_start else None,
                "admin_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/")
                + reverse("appointments_admin:detail", args=[appointment.pk]),
            },
        )
        label = _("Moved by the patient") if kind == "moved" else _("Cancelled by the patient")
    subject = " ".join(f"{label} {appointment.reference}: {appointment.service.name}".split())
    ClinicEmail(subject=subject, body=body, to=[reception_address()]).send()
    return "sent"


def queue_new_booking(appointment: Appointment, *, manage_token: str) -> None:
    kind = "requested" if appointment.status == Appointment.Status.PENDING else "booked"
    send_patient_email.enqueue(
        appointment_id=appointment.pk, kind=kind, sequence=appointment.sequence, manage_token=manage_token
    )
    send_clinic_email.enqueue(appointment_id=appointment.pk)


def queue_change(appointment: Appointment, kind: str, *, manage_token: str = "") -> None:
    send_patient_email.enqueue(
        appointment_id=appointment.pk, kind=kind, sequence=appointment.sequence, manage_token=manage_token
    )


def queue_clinic_change(appointment: Appointment, kind: str, *, previous_start: dt.datetime | None = None) -> None:
    send_clinic_change_email.enqueue(
        appointment_id=appointment.pk, kind=kind, previous_start=previous_start.isoformat() if previous_start else ""
    )


def queue_due_reminders(*, now: dt.datetime | None = None) -> int:
    """Queue one reminder per confirmed appointment entering the reminder window."""
    now = now or timezone.now()
    lead = dt.timedelta(hours=booking_settings().reminder_hours)
    count = 0
    due = Appointment.objects.filter(
        status=Appointment.Status.CONFIRMED,
        reminder_sent_at__isnull=True,
        start__gt=now,
        start__lte=now + lead,
        purged_at__isnull=True,
    ).values_list("pk", "start", "reminder_queued_for")
    for pk, start, queued_for in due:
        if queued_for == start:
            continue
        with transaction.atomic():
            updated = Appointment.objects.filter(pk=pk, start=start, reminder_queued_for=queued_for).update(
                reminder_queued_for=start
            )
            if updated:
                send_reminder.enqueue(appointment_id=pk, start=start.isoformat())
                count += 1
    return count
