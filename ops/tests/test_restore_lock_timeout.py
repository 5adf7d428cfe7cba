"""A restore that meets a lock another process holds gives up after --lock-timeout, changing nothing.

PostgreSQL: an open transaction that read a table (ACCESS SHARE, the weakest lock) blocks the
restore's DROP SCHEMA public CASCADE. SQLite: an open write transaction (BEGIN IMMEDIATE) blocks
the backup API's write into the live database. Either way the restore must fail with a message,
not hang and not leave the database or the media folder half-replaced, and succeed once the
other transaction has ended.
"""

import contextlib
import datetime
import io
import sqlite3
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from clinic.testing import ensure_wagtail_tree
from ops.management.commands.restore import Command as RestoreCommand

from .test_backup_restore import dump_everything, table_names


def media_files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def key_rows() -> dict[str, list[tuple]]:
    """The rows a clinic would miss first, read with plain SQL (no model cache in between)."""
    queries = {
        "pages": "SELECT id, path, slug, title, live FROM wagtailcore_page ORDER BY id",
        "passwords": "SELECT generation, password_hash, replaced_at FROM members_sharedpassword ORDER BY generation",
        "passes": "SELECT label, code_digest, revoked_at FROM members_patientpass ORDER BY label",
        "bookings": "SELECT reference, email, start, status FROM appointments_appointment ORDER BY reference",
        "users": "SELECT username, password FROM auth_user ORDER BY username",
    }
    with connection.cursor() as cursor:
        rows = {}
        for name, sql in queries.items():
            cursor.execute(sql)
            rows[name] = cursor.fetchall()
    return rows


def book_one_appointment() -> None:
    from appointments import booking
    from appointments.availability import find_slots
    from appointments.models import Service

    slot = find_slots(service=Service.objects.get(slug="initial-evaluation"))[0]
    booking.book(
        service="initial-evaluation",
        start=slot.start,
        practitioner=slot.practitioner,
        name="Pat Patient",
        email="pat@example.org",
        consent=True,
    )


@contextlib.contextmanager
def lock_held_by_another_session():
    """Yield the other session's process id (PostgreSQL) or None (SQLite) while it holds the lock."""
    if connection.vendor == "sqlite":
        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # the database's write lock, as a writing worker holds it
            yield None
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    other.ensure_connection()
    cursor = other.connection.cursor()
    try:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
        # A web request or task mid-transaction: one SELECT is enough to hold ACCESS SHARE on the table.
        cursor.execute("BEGIN")
        cursor.execute("SELECT count(*) FROM wagtailcore_page")
        yield pid
    finally:
        cursor.execute("ROLLBACK")
        other.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_restore_blocked_by_a_lock_times_out_changing_nothing_then_succeeds(settings, tmp_path, backups_possible):
    from members import passes, passwords

    ensure_wagtail_tree()
    call_command("load_demo_content", stdout=io.StringIO())
    # The demo content has no password, pass or booking: one of each, so the restore brings them back.
    now = timezone.now()
    passwords.current(now=now)
    passes.issue(label="chart 1001", valid_until=now + datetime.timedelta(days=30), now=now)
    book_one_appointment()
    media = Path(settings.MEDIA_ROOT)
    (media / "original_images").mkdir(parents=True, exist_ok=True)
    (media / "original_images" / "spine.png").write_bytes(b"backed-up image")
    backed_up, backed_up_media = dump_everything(), media_files(media)
    archive = tmp_path / "clinic.tar.gz"
    call_command("backup", "--output", str(archive), stdout=io.StringIO())

    # Work done after the backup, which a failed restore must keep: a new booking, a rotated
    # password, a second pass, a new user, a page gone, one media file changed and one added.
    book_one_appointment()
    passes.issue(label="chart 1002", valid_until=now + datetime.timedelta(days=30), now=now)
    passwords.rotate_now(now=timezone.now(), grace=datetime.timedelta(0))
    get_user_model().objects.create_user("after-backup", "after@example.com", "a long enough password")
    from wagtail.models import Page

    Page.objects.get(slug="sciatica").delete()
    (media / "original_images" / "spine.png").write_bytes(b"changed after the backup")
    (media / "after.txt").write_text("uploaded after the backup")
    before, before_rows, before_tables, before_media = dump_everything(), key_rows(), table_names(), media_files(media)
    assert before != backed_up and before_media != backed_up_media
    assert [len(before_rows[name]) for name in ("passwords", "passes", "bookings")] == [2, 2, 2]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        busy_timeout = connection.connection.execute("PRAGMA busy_timeout").fetchone()[0]

    with lock_held_by_another_session() as blocker_pid:
        started = time.monotonic()
        with pytest.raises(CommandError) as failure:
            call_command("restore", str(archive), "--yes", "--lock-timeout", "1", stdout=io.StringIO())
        waited = time.monotonic() - started
        # Checked while the other session still holds its lock: nothing half-restored is visible.
        assert dump_everything() == before
        assert key_rows() == before_rows
        assert table_names() == before_tables

    message = str(failure.value)
    assert "Timed out after 1 s waiting for a database lock" in message
    assert "Nothing was changed" in message
    assert "Stop clinic-web and clinic-worker" in message and "--lock-timeout" in message
    assert "Traceback" not in message and "canceling statement" not in message
    if blocker_pid is not None:
        assert f"pid {blocker_pid} (" in message  # names the session to stop
    assert 1 <= waited < 20, waited  # it waited for the lock, and gave up instead of hanging
    assert dump_everything() == before
    assert key_rows() == before_rows
    assert media_files(media) == before_media
    assert not list(tmp_path.glob(".media-restore-*")) and not list(tmp_path.glob("*.before-restore"))
    if connection.vendor == "sqlite":  # the site's own busy timeout is back
        assert connection.connection.execute("PRAGMA busy_timeout").fetchone()[0] == busy_timeout

    # The other transaction over, the same command restores the backup, database and media.
    call_command("restore", str(archive), "--yes", "--lock-timeout", "1", stdout=io.StringIO())
    assert dump_everything() == backed_up
    assert [len(key_rows()[name]) for name in ("passwords", "passes", "bookings")] == [1, 1, 1]
    assert media_files(media) == backed_up_media
    assert not list(tmp_path.glob(".media-restore-*")) and not list(tmp_path.glob("*.before-restore"))


@pytest.mark.parametrize("value", ["0", "-5", "soon", "nan", "inf"])
def test_lock_timeout_must_be_a_positive_number_of_seconds(tmp_path, value):
    archive = tmp_path / "clinic.tar.gz"
    archive.write_bytes(b"")
    with pytest.raises(CommandError, match="--lock-timeout: expected a positive number of seconds"):
        call_command("restore", str(archive), "--yes", "--lock-timeout", value)


def test_lock_timeout_defaults_to_30_seconds_and_takes_fractions():
    parser = RestoreCommand().create_parser("manage.py", "restore")
    assert parser.parse_args(["clinic.tar.gz"]).lock_timeout == 30
    assert parser.parse_args(["clinic.tar.gz", "--lock-timeout", "2.5"]).lock_timeout == 2.5
