"""Emailing an in-care pass to the patient, when the clinic has turned that on (the default is in
person, at the desk). Through the durable "outbox" task backend, like every other clinic email.

The queued task holds only ids: the code is read from its encrypted copy and the address from the
booking at sending time, so the queue never keeps a code or an address, and a pass revoked or a
patient erased before the worker runs is not sent.
"""

from email.header import Header

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from wagtail.models import Site

from pages.models import ClinicSettings

from . import passes
from .access_models import MembersPolicy, PatientPass


class PassEmail(EmailMessage):
    def message(self, *args, **kwargs):
        msg = super().message(*args, **kwargs)
        subject = str(self.subject)
        if not subject.isascii():
            # As appointments' ClinicEmail: Django 5.2 folds a non-ASCII subject before its first
            # word, and some clients then show no subject; a Header that knows its name does not.
            msg.replace_header(
                "Subject", Header(subject, self.encoding or settings.DEFAULT_CHARSET, header_name="Subject")
            )
        return msg


def queue(*, item: PatientPass, appointment) -> bool:
    """Queue the email if the clinic emails passes and the booking has an address; True if queued."""
    if not (MembersPolicy.load().email_passes and appointment.email):
        return False
    send_pass_email.enqueue(pass_id=item.pk, appointment_id=appointment.pk)
    return True


def _members_url(site) -> str:
    from .views import members_home_url

    return (site.root_url if site else "") + members_home_url()


@task(backend="outbox", queue_name="email")
def send_pass_email(*, pass_id: int, appointment_id: int) -> str:
    item = PatientPass.objects.filter(pk=pass_id, in_care=True).first()
    appointment = apps.get_model("appointments", "Appointment").objects.filter(pk=appointment_id).first()
    if item is None or not item.is_valid(now=timezone.now()) or appointment is None or not appointment.email:
        return "not sent: the pass ended or the booking is gone"
    site = Site.objects.filter(is_default_site=True).first()
    clinic = ClinicSettings.for_site(site) if site else None
    context = {
        "clinic_name": clinic.name if clinic else "",
        "members_url": _members_url(site),
        "code": passes.code_of(item),
        "care_days": MembersPolicy.load().care_days,
    }
    subject = _("Your members area pass code")
    PassEmail(
        subject=" ".join(subject.split()),
        body=render_to_string("members/pass_email.txt", context),
        to=[appointment.email],
    ).send()
    return "sent"
