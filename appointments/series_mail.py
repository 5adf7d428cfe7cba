"""A course of care in one email: every session listed with its own private link, and one
calendar file holding them all (METHOD:REQUEST when booked, METHOD:CANCEL when cancelled)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task
from icalendar import Calendar

from . import emails, ics
from .availability import booking_settings, clinic_zone
from .mail import ClinicEmail
from .models import Appointment

KINDS = ("booked", "cancelled")


def series_calendar(appointments: list[Appointment], *, method: str, clinic_name: str, organizer: str, location: str):
    calendar = Calendar()
    calendar.add("prodid", ics.PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    for appointment in appointments:
        calendar.add_component(
            ics.event_for(appointment, clinic_name=clinic_name, for_staff=False, organizer=organizer, location=location)
        )
    return calendar.to_ical()


def queue_series(booked: list, *, kind: str) -> None:
    """Queue one email for these sessions (booking.Booked items). The private links travel as one
    space-separated `manage_token` argument, which the outbox blanks once the email is sent."""
    send_series_email.enqueue(
        appointment_ids=[b.appointment.pk for b in booked],
        kind=kind,
        manage_token=" ".join(b.manage_token for b in booked if b.manage_token),
    )


@task(backend="outbox", queue_name="email")
def send_series_email(*, appointment_ids: list[int], kind: str, manage_token: str = "") -> str:
    if kind not in KINDS:
        return "skipped: unknown kind"
    found = Appointment.objects.select_related("service", "practitioner").in_bulk(appointment_ids)
    appointments = [found[pk] for pk in appointment_ids if pk in found and not found[pk].purged_at]
    if not appointments or not appointments[0].email:
        return "skipped: gone or no email address"
    tokens = manage_token.split() if manage_token and manage_token != emails.REDACTED else []
    links = [emails.manage_url(token) for token in tokens] if len(tokens) == len(appointment_ids) else []
    clinic = emails._clinic()
    tz = clinic_zone()
    sessions = [
        {
            "appointment": a,
            "start": a.start.astimezone(tz),
            "manage_url": links[appointment_ids.index(a.pk)] if links else "",
        }
        for a in appointments
    ]
    first = appointments[0]
    with timezone.override(tz), translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            "appointments/email/series.txt",
            {
                "kind": kind,
                "appointment": first,
                "sessions": sessions,
                "clinic": clinic,
                "cutoff_hours": booking_settings().manage_cutoff_hours,
            },
        )
        subject = (
            _("Your %(n)s appointments are booked") if kind == "booked" else _("%(n)s appointments are cancelled")
        ) % {"n": len(appointments)}
    message = ClinicEmail(
        subject=" ".join(f"{subject} – {clinic.name} ({first.reference})".split()),
        body=body,
        to=[first.email],
        reply_to=[clinic.email] if clinic.email else None,
    )
    message.attach(
        "appointments.ics",
        series_calendar(
            appointments,
            method="REQUEST" if kind == "booked" else "CANCEL",
            clinic_name=clinic.name,
            organizer=clinic.email,
            location=ics.clinic_location(clinic),
        ),
        "text/calendar",
    )
    message.send()
    return "sent"
