"""The clinic's outgoing email: Django's EmailMessage with the headers real mail clients need.

Django 5.2 pre-encodes a non-ASCII subject without counting the "Subject: " in front of it, so the
mail generator folds before the first encoded word and the header starts with an empty line
(some clients then show no subject). A text/calendar part also needs the calendar's METHOD as a
Content-Type parameter (RFC 6047, iMIP) before clients treat it as an invitation or cancellation.
"""

from __future__ import annotations

from email.header import Header

from django.conf import settings
from django.core.mail import EmailMessage
from icalendar import Calendar


def calendar_method(content: bytes | str) -> str:
    """The METHOD of an iCalendar object, or "" when it has none or cannot be read."""
    try:
        return str(Calendar.from_ical(content).get("method", "")).upper()
    except ValueError:
        return ""


class ClinicEmail(EmailMessage):
    def message(self, *args, **kwargs):
        msg = super().message(*args, **kwargs)
        subject = str(self.subject)
        if not subject.isascii():
            # A Header that knows its name folds after "Subject: ", not before the first word.
            # Django has already refused line breaks in the subject (BadHeaderError) above.
            encoding = self.encoding or settings.DEFAULT_CHARSET
            msg.replace_header("Subject", Header(subject, encoding, header_name="Subject"))
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                method = calendar_method(part.get_payload(decode=True))
                if method:
                    part.set_param("method", method, requote=False)
        return msg
