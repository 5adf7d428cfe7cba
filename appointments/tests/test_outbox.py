"""The durable outbox: an SMTP outage delays mail and loses none; reminders go once, and only when due."""

import datetime as dt
import socket

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from appointments import booking, outbox
from appointments.emails import queue_due_reminders
from appointments.models import Appointment

from .conftest import NOW, SLOT, details

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def refusing_smtp(settings):
    """A real SMTP backend pointed at a local port where nothing listens: every send is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 2
    return settings


def book(**overrides):
    values = {"service": "initial-evaluation", "start": SLOT, "practitioner": "alex", **details()}
    values.update(overrides)
    return booking.book(**values)


def test_smtp_outage_delays_mail_and_loses_none(clinic, refusing_smtp, frozen):
    booked = book()
    assert outbox.drain() == 2
    tasks = DBTaskResult.objects.filter(backend_name="outbox")
    assert [t.status for t in tasks] == [TaskResultStatus.READY] * 2
    assert all(t.run_after > NOW for t in tasks)
    assert all("ConnectionRefusedError" in t.exception_class_path for t in tasks)
    assert mail.outbox == []
    # Not yet due again: nothing runs.
    assert outbox.drain() == 0
    # Still down at the next try: the delay doubles.
    frozen.shift(dt.timedelta(seconds=31))
    assert outbox.drain() == 2
    task = DBTaskResult.objects.filter(backend_name="outbox").first()
    assert len(task.worker_ids) == 2
    assert task.run_after - dt.datetime.now(dt.UTC) == outbox.backoff(2)
    # The mail server is back.
    refusing_smtp.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    frozen.shift(dt.timedelta(minutes=2))
    assert outbox.drain() == 2
    assert {t.status for t in DBTaskResult.objects.all()} == {TaskResultStatus.SUCCESSFUL}
    assert sorted(m.to[0] for m in mail.outbox) == ["pat@example.org", "reception@clinic.example"]
    assert any(booked.manage_token in m.body for m in mail.outbox)


def test_gives_up_after_max_attempts(clinic, refusing_smtp, frozen, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    book()
    for _ in range(3):
        outbox.drain()
        frozen.shift(dt.timedelta(hours=2))
    assert {t.status for t in DBTaskResult.objects.all()} == {TaskResultStatus.FAILED}
    assert outbox.drain() == 0


def test_task_left_running_by_a_killed_worker_is_requeued(clinic, frozen):
    book()
    claimed = outbox.claim_next("killed-worker")
    assert claimed.status == TaskResultStatus.RUNNING
    # The worker died here. Within the lease nothing is touched…
    assert outbox.requeue_abandoned() == 0
    frozen.shift(dt.timedelta(minutes=11))
    # …after it, the task goes back to the queue and is delivered.
    assert outbox.requeue_abandoned() == 1
    assert outbox.drain() == 2
    assert len(mail.outbox) == 2
    assert {t.status for t in DBTaskResult.objects.all()} == {TaskResultStatus.SUCCESSFUL}


def test_worker_command_runs_one_pass(clinic):
    book()
    call_command("outbox_worker", "--once")
    assert len(mail.outbox) == 2


def reminders():
    return [m for m in mail.outbox if "Reminder" in m.subject]


def test_reminder_is_sent_once_when_due(clinic, frozen):
    book()
    outbox.drain()
    assert queue_due_reminders() == 0  # a week ahead: not due
    frozen.move_to(SLOT - dt.timedelta(hours=23))
    outbox.run_scheduled()
    outbox.drain()
    assert len(reminders()) == 1
    outbox.run_scheduled()
    outbox.drain()
    assert len(reminders()) == 1
    assert Appointment.objects.get().reminder_sent_at is not None


def test_no_reminder_for_a_booking_cancelled_after_it_was_queued(clinic, frozen):
    appointment = book().appointment
    frozen.move_to(SLOT - dt.timedelta(hours=23))
    assert queue_due_reminders() == 1
    booking.change_status(appointment=appointment, action="cancel")
    outbox.drain()
    assert reminders() == []


def test_moved_booking_gets_one_reminder_for_the_new_time_only(clinic, frozen):
    appointment = book().appointment
    frozen.move_to(SLOT - dt.timedelta(hours=23))
    assert queue_due_reminders() == 1
    booking.reschedule(appointment=appointment, start=SLOT + dt.timedelta(hours=2), by_staff=True)
    outbox.drain()
    assert reminders() == []  # the queued reminder was for the old time
    frozen.shift(dt.timedelta(hours=2))  # the new time enters the reminder window
    outbox.run_scheduled()
    outbox.drain()
    sent = reminders()
    assert len(sent) == 1
    assert "12:00" in sent[0].body


def test_unconfirmed_request_expires_in_the_worker_loop(clinic, frozen):
    appointment = book(service="follow-up-session").appointment
    frozen.shift(dt.timedelta(hours=49))
    outbox.run_scheduled()
    outbox.drain()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.EXPIRED
    assert any("expired" in m.subject for m in mail.outbox)


def test_private_link_still_arrives_when_staff_act_before_the_worker_runs(clinic):
    booked = book(service="follow-up-session")
    booking.change_status(appointment=booked.appointment, action="confirm")
    outbox.drain()
    patient = [m for m in mail.outbox if m.to == ["pat@example.org"]]
    assert any(booked.manage_token in m.body for m in patient)
    assert any("confirmed" in m.subject for m in patient)
