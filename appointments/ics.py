"""iCalendar files: one event per appointment (stable UID, SEQUENCE per change) and practitioner feeds."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Appointment

PRODID = "-//Clinic//Appointments//EN"


def uid_for(appointment: Appointment) -> str:
    host = settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "clinic.invalid"
    return f"appointment-{appointment.reference}@{host}"


def event_for(
    appointment: Appointment, *, clinic_name: str, for_staff: bool, organizer: str = "", location: str = ""
) -> Event:
    event = Event()
    event.add("uid", uid_for(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", appointment.updated_at)
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    if for_staff:
        # Minimum necessary on a phone calendar: no names or messages, the reference finds the rest.
        event.add("summary", f"{appointment.service.name} ({appointment.reference})")
    else:
        event.add("summary", f"{appointment.service.name}, {clinic_name}")
        event.add("description", f"Reference {appointment.reference}")
        if location:
            # Where to go: the patient's calendar shows it (and offers directions) with the event.
            event.add("location", location)
        # RFC 5546: a REQUEST or CANCEL names its organizer; the patient is the attendee.
        organizer_address = vCalAddress(f"mailto:{organizer or settings.DEFAULT_FROM_EMAIL}")
        organizer_address.params["cn"] = vText(clinic_name)
        event.add("organizer", organizer_address)
        attendee = vCalAddress(f"mailto:{appointment.email}")
        attendee.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", attendee)
    cancelled = appointment.status not in Appointment.ACTIVE
    if for_staff:
        event.add("status", "TENTATIVE" if appointment.status == Appointment.Status.PENDING else "CONFIRMED")
    else:
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def clinic_location(clinic) -> str:
    """The clinic's name and address on one line, as the confirmation email gives it."""
    return ", ".join([clinic.name, *clinic.address_lines]) if clinic.address_lines else ""


def appointment_calendar(
    appointment: Appointment, *, clinic_name: str, organizer: str = "", location: str = ""
) -> bytes:
    """METHOD:REQUEST for a live appointment, METHOD:CANCEL once it no longer takes place."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST" if appointment.is_active else "CANCEL")
    calendar.add_component(
        event_for(appointment, clinic_name=clinic_name, for_staff=False, organizer=organizer, location=location)
    )
    return calendar.to_ical()


def practitioner_feed(appointments: Iterable[Appointment], *, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    # An X- property has no known type: say it is TEXT, or commas and semicolons go out unescaped.
    calendar.add("x-wr-calname", vText(name))
    for appointment in appointments:
        calendar.add_component(event_for(appointment, clinic_name="", for_staff=True))
    return calendar.to_ical()
