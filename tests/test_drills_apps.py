"""Reliability drills for the members and appointments apps: a mail server that refuses
connections, writers at once, and a worker killed in the middle of a booking or rotation (the
last two on SQLite and, with DATABASE_URL, on PostgreSQL: see tests/test_drills.py).

What the members rotation sends: nothing. A rotation writes a new password row (and an audit log
entry) and mails nobody; staff print new cards. The only members mail is the site-wide throttle
alert to the admins, which goes through the same durable outbox as the booking mail.
"""

import datetime as dt
import json
import socket

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from appointments import outbox
from appointments.models import Appointment
from appointments.tests.conftest import NOW, SLOT, details
from members import passwords
from members.models import SharedPassword

from .smtp_sink import SmtpSink
from .test_drills import CONTENTION_ERRORS, drill, kill_when_written

ADMIN = "admin@clinic.example"


def refused_port() -> int:
    """A loopback port where nothing listens: connecting is refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = refused_port()
    settings.EMAIL_TIMEOUT = 2
    settings.EMAIL_USE_TLS = False
    settings.ADMINS = [("Clinic admin", ADMIN)]
    settings.MEMBERS_THROTTLE = {"SITE_FAILURES": 3}
    settings.MEMBERS_ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    passwords._hasher.cache_clear()
    yield settings
    passwords._hasher.cache_clear()


def api_book(client, **overrides):
    payload = {"service": "initial-evaluation", "start": SLOT.isoformat(), "practitioner": "alex", **details()}
    payload.update(overrides)
    return client.post("/api/v1/bookings", data=json.dumps(payload), content_type="application/json")


def outbox_tasks():
    return DBTaskResult.objects.filter(backend_name=outbox.BACKEND).order_by("enqueued_at", "id")


def test_smtp_refusing_connections_delays_booking_and_alert_mail_and_loses_none(
    client, clinic, smtp_down, frozen, django_user_model
):
    # Two bookings through the API, the site-wide throttle alert, a staff rotation: all while
    # every connection to the mail server is refused. None of them may fail for the user.
    assert api_book(client).status_code == 201
    assert api_book(client, practitioner="sam", email="sam.patient@example.org").status_code == 201

    passwords.current(now=NOW)
    guesses = [
        Client(REMOTE_ADDR=f"192.0.2.{i}").post("/members/-/enter/", {"secret": "wrong-words-here-00", "next": "/"})
        for i in range(4)
    ]
    assert [r.status_code for r in guesses] == [403, 403, 403, 429]

    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser("boss", "boss@example.org", "unused-pw-123"))
    generation = SharedPassword.objects.get(replaced_at__isnull=True).generation
    rotated = staff.post(reverse("members_admin:rotate"), {"grace_days": 0, "generation": generation, "confirm": "on"})
    assert rotated.status_code == 302
    assert SharedPassword.objects.get(replaced_at__isnull=True).generation == generation + 1

    # 2 bookings x (patient + clinic) + 1 alert; the rotation queued nothing.
    assert outbox_tasks().count() == 5
    assert outbox.drain() == 5
    tasks = list(outbox_tasks())
    assert {t.status for t in tasks} == {TaskResultStatus.READY}
    assert all("ConnectionRefusedError" in t.exception_class_path for t in tasks)
    assert all(t.run_after > NOW for t in tasks)

    # Still refused at the next attempt: nothing lost, nothing given up.
    frozen.shift(outbox.backoff(1) + dt.timedelta(seconds=1))
    assert outbox.drain() == 5
    assert {t.status for t in outbox_tasks()} == {TaskResultStatus.READY}

    # The mail server comes back: every message is delivered once.
    with SmtpSink() as sink:
        smtp_down.EMAIL_PORT = sink.port
        frozen.shift(outbox.backoff(2) + dt.timedelta(seconds=1))
        assert outbox.drain() == 5
        assert {t.status for t in outbox_tasks()} == {TaskResultStatus.SUCCESSFUL}
        assert outbox.drain() == 0
        received = list(sink.messages)
    assert sink.recipients() == sorted(
        [ADMIN, "pat@example.org", "sam.patient@example.org", "reception@clinic.example", "reception@clinic.example"]
    )
    alert = next(m for m in received if m.recipients == [ADMIN])
    assert "failed password attempts" in alert.message["Subject"]
    assert "192.0.2" not in alert.message.get_content()
    references = set(Appointment.objects.values_list("reference", flat=True))
    assert len(references) == 2
    assert {r for m in received for r in references if r in m.message["Subject"]} == references


def free_appointments(db):
    return db.query("SELECT count(*) FROM appointments_appointment")


def test_concurrent_bookings_and_rotations_wait_for_each_other(drill_db):
    # SQLite: IMMEDIATE transactions queue on the busy timeout. PostgreSQL: the practitioner's row
    # lock (SELECT ... FOR UPDATE) and the password row lock queue them. Either way none may fail.
    appointments_before = free_appointments(drill_db)
    tasks_before = drill_db.query("SELECT count(*) FROM django_tasks_database_dbtaskresult")
    bookers = [drill(drill_db, "book", f"writer{k}@example.org", str(k), "3", "4") for k in range(3)]
    rotators = [drill(drill_db, "rotate", "4") for _ in range(2)]
    outputs = {}
    for process in bookers + rotators:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err[-3000:]
        assert not any(error in err for error in CONTENTION_ERRORS), err[-3000:]
        outputs[process] = out.split("\n")
    for process in bookers:
        lines = outputs[process]
        assert sum(line.startswith("booked ") for line in lines) == 4, lines
        assert "taken" not in lines  # a lock timeout would surface as "taken": none may
    rotations = [line for process in rotators for line in outputs[process] if line.startswith("rotated ")]
    assert len(rotations) == 8
    assert free_appointments(drill_db) == appointments_before + 12
    assert drill_db.query("SELECT count(*) FROM django_tasks_database_dbtaskresult") == tasks_before + 24
    # Eight rotations, each its own generation, one current password.
    generations = sorted(int(line.split()[1]) for line in rotations)
    assert len(set(generations)) == 8
    assert drill_db.query("SELECT max(generation) FROM members_sharedpassword") == generations[-1]
    assert drill_db.query("SELECT count(*) FROM members_sharedpassword WHERE replaced_at IS NULL") == 1
    assert drill_db.intact()


def test_a_worker_killed_mid_booking_leaves_no_booking_and_no_mail(drill_db):
    appointments_before = free_appointments(drill_db)
    tasks_sql = "SELECT count(*) FROM django_tasks_database_dbtaskresult"
    tasks_before = drill_db.query(tasks_sql)
    kill_when_written(drill(drill_db, "book-pause", "killed@example.org", "60"))
    assert drill_db.intact()
    assert free_appointments(drill_db) == appointments_before
    assert drill_db.query("SELECT count(*) FROM appointments_appointment WHERE email = 'killed@example.org'") == 0
    assert drill_db.query(tasks_sql) == tasks_before

    # Left to finish, the same drill writes the booking and both its emails: the checks can fail.
    finished = drill(drill_db, "book-pause", "finished@example.org", "0")
    out, err = finished.communicate(timeout=60)
    assert finished.returncode == 0, err[-3000:]
    assert "booked" in out
    assert drill_db.query("SELECT count(*) FROM appointments_appointment WHERE email = 'finished@example.org'") == 1
    assert drill_db.query(tasks_sql) == tasks_before + 2


def password_state(db):
    return db.rows("SELECT generation, replaced_at, grace_until FROM members_sharedpassword ORDER BY generation")


def test_a_worker_killed_mid_rotation_keeps_the_old_password_current(drill_db):
    # A first password, committed, so the killed drill only has the rotation left to do.
    first = drill(drill_db, "rotate", "1")
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err[-3000:]
    before = password_state(drill_db)
    current = [row for row in before if row[1] is None]
    assert len(current) == 1

    kill_when_written(drill(drill_db, "rotate-pause", "60"))
    assert drill_db.intact()
    assert password_state(drill_db) == before  # no new row, the old one not marked replaced

    finished = drill(drill_db, "rotate-pause", "0")
    out, err = finished.communicate(timeout=60)
    assert finished.returncode == 0, err[-3000:]
    after = password_state(drill_db)
    assert len(after) == len(before) + 1
    assert [row[0] for row in after if row[1] is None] == [current[0][0] + 1]
