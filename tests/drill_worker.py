"""Subprocess side of the reliability drills in tests/test_drills*.py (SQLITE_PATH or DATABASE_URL set).

python tests/drill_worker.py write NAME COUNT   concurrent writers: read, pause, write, in one transaction
python tests/drill_worker.py publish TITLE WAIT publish a new revision; WAIT seconds before commit
python tests/drill_worker.py book EMAIL K N COUNT  writer K of N: COUNT bookings, each on its own practitioner-day
python tests/drill_worker.py book-pause EMAIL WAIT  one booking, WAIT seconds after its rows are written
python tests/drill_worker.py rotate COUNT       COUNT staff rotations (no grace), one after the other
python tests/drill_worker.py rotate-pause WAIT  one rotation, WAIT seconds after the new password is written
python tests/drill_worker.py issue-pass         a patient pass valid for a day: prints "issued ID CODE"
python tests/drill_worker.py revoke-pass ID     revoke that pass, as reception would from another process

Each prints one line per outcome ("booked REF", "taken", "rotated GEN") and "done"; a pausing
drill prints "written, not committed" from inside the transaction, then sleeps.
"""

import os
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from wagtail.models import Page  # noqa: E402


def write(name: str, count: int) -> None:
    users = get_user_model()
    for index in range(count):
        with transaction.atomic():
            seen = users.objects.count()  # a read first: the case that deadlocks without IMMEDIATE
            time.sleep(0.02)
            users.objects.create(username=f"{name}-{index}-{seen}")
    print("done", flush=True)


def publish(title: str, wait: float) -> None:
    page = Page.objects.get(slug="sciatica").specific
    with transaction.atomic():
        page.title = title
        page.save_revision().publish()
        print("written, not committed", flush=True)
        time.sleep(wait)
    print("committed", flush=True)


def free_slots():
    from appointments.availability import find_slots
    from appointments.models import Service

    service = Service.objects.get(slug=SERVICE)
    return find_slots(service=service)


SERVICE = "initial-evaluation"


def practitioner_days(k: int, n: int):
    """Writer k's share: the first free slot of each practitioner-day that hashes to k.

    The share depends only on the practitioner-day, not on what is still free when this writer
    starts, so two writers never pick the same practitioner-day (an index into the current free
    list would shift as soon as another writer had booked)."""
    seen, chosen = set(), []
    for slot in free_slots():
        key = (slot.practitioner, slot.start.date())
        if key not in seen:
            seen.add(key)
            if zlib.crc32(f"{key[0]}:{key[1]}".encode()) % n == k:
                chosen.append(slot)
    return chosen


def book(email: str, k: int, n: int, count: int) -> None:
    from appointments import booking

    mine = practitioner_days(k, n)[:count]
    assert len(mine) == count, f"only {len(mine)} free practitioner-days for writer {k}"
    for slot in mine:
        try:
            booked = booking.book(
                service=SERVICE,
                start=slot.start,
                practitioner=slot.practitioner,
                name="Drill Patient",
                email=email,
                consent=True,
            )
        except booking.SlotTaken:
            print("taken", flush=True)
        else:
            print("booked", booked.appointment.reference, flush=True)
    print("done", flush=True)


def pause_after(wait: float):
    print("written, not committed", flush=True)
    time.sleep(wait)


def book_pause(email: str, wait: float) -> None:
    from appointments import booking, emails

    queue = emails.queue_new_booking

    def queue_then_pause(appointment, *, manage_token):
        queue(appointment, manage_token=manage_token)
        pause_after(wait)

    emails.queue_new_booking = queue_then_pause
    slot = free_slots()[0]
    booked = booking.book(
        service=SERVICE, start=slot.start, practitioner=slot.practitioner, name="Drill", email=email, consent=True
    )
    print("booked", booked.appointment.reference, flush=True)


def rotate(count: int) -> None:
    import datetime

    from django.utils import timezone

    from members import passwords

    for _ in range(count):
        result = passwords.rotate_now(now=timezone.now(), grace=datetime.timedelta(0))
        print("rotated", result.password.generation, flush=True)
    print("done", flush=True)


def rotate_pause(wait: float) -> None:
    import datetime

    from django.db.models.signals import post_save
    from django.utils import timezone

    from members import passwords
    from members.models import SharedPassword

    passwords.current(now=timezone.now())
    first = passwords.accepted(now=timezone.now())

    def pause(sender, instance, created, **kwargs):
        if created:  # the new password row, inside rotate()'s transaction
            pause_after(wait)

    post_save.connect(pause, sender=SharedPassword, weak=False)
    result = passwords.rotate_now(now=timezone.now(), grace=datetime.timedelta(0))
    print("rotated", result.password.generation, "from", [row.generation for row in first], flush=True)


def issue_pass() -> None:
    import datetime

    from django.utils import timezone

    from members import passes

    now = timezone.now()
    item, code = passes.issue(label="drill", valid_until=now + datetime.timedelta(days=1), now=now)
    print("issued", item.pk, code, flush=True)


def revoke_pass(pass_id: int) -> None:
    from django.utils import timezone

    from members import passes
    from members.models import PatientPass

    passes.revoke(item=PatientPass.objects.get(pk=pass_id), now=timezone.now())
    print("revoked", flush=True)


if __name__ == "__main__":
    action, *args = sys.argv[1:]
    if action == "write":
        write(args[0], int(args[1]))
    elif action == "publish":
        publish(args[0], float(args[1]))
    elif action == "book":
        book(args[0], *(int(a) for a in args[1:4]))
    elif action == "book-pause":
        book_pause(args[0], float(args[1]))
    elif action == "rotate":
        rotate(int(args[0]))
    elif action == "rotate-pause":
        rotate_pause(float(args[0]))
    elif action == "issue-pass":
        issue_pass()
    elif action == "revoke-pass":
        revoke_pass(int(args[0]))
    else:
        raise SystemExit(f"unknown drill {action}")
