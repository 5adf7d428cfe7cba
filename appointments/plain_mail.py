"""Mail with no booking behind it (the contact form), through the durable "outbox" task backend.

Kept apart from emails.py, which reads appointments, so the contact page (a model) can queue mail
without importing the booking emails that import the models."""

from django_tasks import task

from .mail import ClinicEmail

# Rows queued before the move name the old path (emails.py re-exports the task for them).
LEGACY_TASK_PATH = "appointments.emails.send_plain_email"


@task(backend="outbox", queue_name="email")
def send_plain_email(*, subject: str, body: str, to: list[str], reply_to: list[str] | None = None) -> str:
    ClinicEmail(subject=" ".join(subject.split()), body=body, to=to, reply_to=reply_to or None).send()
    return "sent"
