"""Alerts to the site's admins, sent through the durable outbox so a mail outage delays them, never
loses them, and never turns the patient's request into an error."""

from django.core.mail import mail_admins
from django.utils.translation import gettext as _
from django_tasks import task


@task(backend="outbox", queue_name="email")
def send_admin_alert(*, subject: str, body: str) -> str:
    # fail_silently=False: a refused connection raises, and the outbox worker retries with backoff.
    mail_admins(subject, body)
    return "sent"


def queue_site_wide_throttle_alert() -> None:
    send_admin_alert.enqueue(
        subject=_("Members area: many failed password attempts"),
        body=_(
            "The members gate has refused more wrong passwords than the site-wide limit allows, "
            "so it is refusing all attempts for a while. If this continues, rotate the members "
            "password with no grace and check the server logs."
        ),
    )
