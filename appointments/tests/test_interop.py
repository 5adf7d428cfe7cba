"""What real calendar and mail clients read: feed names as TEXT, iMIP's method parameter, charsets,
a Subject that starts on its own line and a Date with the clinic's real offset."""

import datetime as dt
import email
import re
from email.header import decode_header, make_header

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from icalendar.parser import Contentline

from appointments import booking, outbox
from appointments.mail import ClinicEmail

from .conftest import SLOT, details

# An unescaped comma or semicolon in a TEXT value: the reader splits the value there.
UNESCAPED_SEPARATOR = re.compile(r"(?<!\\)(?:\\\\)*[,;]")


def content_line(ics: bytes, name: str) -> tuple[str, str]:
    """(raw value, value decoded as TEXT) of the first content line called name, unfolded."""
    unfolded = ics.decode().replace("\r\n ", "")
    line = next(line for line in unfolded.split("\r\n") if line.upper().startswith(name + ":"))
    return line.split(":", 1)[1], Contentline(line).parts()[2]


def patient_mails():
    outbox.drain()
    return [m for m in mail.outbox if m.to == ["pat@example.org"]]


def as_received(message) -> email.message.Message:
    """The message as the SMTP backend sends it, read back by a mail client's parser."""
    return email.message_from_bytes(message.message().as_bytes(linesep="\r\n"))


def calendar_part(received):
    return next(part for part in received.walk() if part.get_content_type() == "text/calendar")


def test_practitioner_feed_name_reads_back_whole(client, clinic, frozen):
    practitioner = clinic["a"]
    practitioner.name = "Smith, John; DC \\ Room 2"
    practitioner.save()
    token = practitioner.new_feed_token()
    feed = client.get(reverse("appointments:practitioner_feed", args=[token]))
    assert feed.status_code == 200
    raw, value = content_line(feed.content, "X-WR-CALNAME")
    assert not UNESCAPED_SEPARATOR.search(raw), raw
    assert value == "Smith, John; DC \\ Room 2"


def test_calendar_part_of_each_email_names_the_calendars_method(clinic, frozen):
    booked = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    patient_mails()  # each email renders from the state at sending time: send the first one now
    booking.change_status(appointment=booked.appointment, action="cancel")
    sent = {m.subject.split(" – ")[0]: as_received(m) for m in patient_mails()}
    for subject, expected in [("Your appointment is booked", "REQUEST"), ("Your appointment is cancelled", "CANCEL")]:
        part = calendar_part(sent[subject])
        assert part.get_param("method") == expected
        assert part.get_content_charset() == "utf-8"
        raw, _ = content_line(part.get_payload(decode=True), "METHOD")
        assert raw == expected
        assert part.get_filename() == "appointment.ics"


def test_manage_page_calendar_file_names_its_charset(client, clinic, frozen):
    booked = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    response = client.get(reverse("appointments:manage_ics", args=[booked.manage_token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"


@pytest.mark.parametrize("clinic_name", ["Clinic", "Example Manual Therapy and Sports Injury Clinic", "整体院 テスト"])
def test_subject_starts_on_the_subject_line(clinic, clinic_name, frozen):
    from pages.models import ClinicSettings

    settings = ClinicSettings.for_site(clinic["site"])
    settings.name = clinic_name
    settings.save()
    booked = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    (sent,) = patient_mails()
    head = sent.message().as_bytes(linesep="\r\n").split(b"\r\n\r\n")[0].decode("ascii").split("\r\n")
    subject_line = next(line for line in head if line.startswith("Subject:"))
    assert subject_line.removeprefix("Subject:").strip(), head
    assert all(len(line) <= 78 for line in head), [line for line in head if len(line) > 78]
    decoded = str(make_header(decode_header(as_received(sent)["Subject"])))
    assert decoded == f"Your appointment is booked – {clinic_name} ({booked.appointment.reference})"


def test_a_subject_with_a_line_break_is_still_refused():
    with pytest.raises(mail.BadHeaderError):
        ClinicEmail(subject="Booked – café\nBcc: x@example.org", body="", to=["pat@example.org"]).message()


@pytest.mark.parametrize(
    ("when", "offset"),
    [(dt.datetime(2027, 1, 12, 9, tzinfo=dt.UTC), "+0000"), (dt.datetime(2027, 7, 12, 9, tzinfo=dt.UTC), "+0100")],
)
def test_date_header_carries_the_clinics_offset(when, offset):
    # A timestamp, not an aware datetime: time-machine would also switch the process's zone to UTC.
    with time_machine.travel(when.timestamp(), tick=False):
        date = ClinicEmail(subject="x", body="", to=["pat@example.org"]).message()["Date"]
    assert date.endswith(" " + offset), date
    assert email.utils.parsedate_to_datetime(date) == when
