"""Reliability drills on the database the suite runs on: writer contention and a worker killed in
the middle of a write, in separate processes. On SQLite (the embedded default) they share a copy of
the test database in a real file (busy timeout, file locking, WAL); on PostgreSQL (DATABASE_URL, CI's
second run) they connect to the test database itself (row locks, MVCC). The booking and rotation
versions are in tests/test_drills_apps.py."""

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from clinic.testing import ensure_wagtail_tree

ROOT = Path(__file__).resolve().parents[1]
DRILL = ROOT / "tests" / "drill_worker.py"


@dataclass
class DrillDatabase:
    """The database the drill processes share, and how the test reads it back."""

    vendor: str
    env: dict[str, str]
    sqlite_path: Path | None = None

    def rows(self, sql: str) -> list[tuple]:
        if self.sqlite_path is not None:
            with sqlite3.connect(self.sqlite_path) as db:
                return db.execute(sql).fetchall()
        with connection.cursor() as cursor:  # autocommit: sees what the drills committed
            cursor.execute(sql)
            return cursor.fetchall()

    def query(self, sql: str):
        return self.rows(sql)[0][0]

    def intact(self) -> bool:
        """SQLite: the file passes integrity_check. PostgreSQL: no other session is left inside a
        transaction (a killed client's backend rolls back and releases its locks; wait for it)."""
        if self.sqlite_path is not None:
            return self.query("PRAGMA integrity_check") == "ok"
        open_sql = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        )
        deadline = time.monotonic() + 10
        while self.query(open_sql) and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.query(open_sql) == 0


@pytest.fixture
def drill_db(django_db_serialized_rollback, transactional_db, tmp_path):
    """The test database, demo content included, where subprocesses can reach it."""
    ensure_wagtail_tree()
    call_command("load_demo_content", stdout=io.StringIO())
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="clinic.settings.test", PYTHONUNBUFFERED="1")
    if connection.vendor == "sqlite":
        path = tmp_path / "drill.sqlite3"
        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
        target.close()
        env["SQLITE_PATH"] = str(path)
        return DrillDatabase("sqlite", env, sqlite_path=path)
    if connection.vendor != "postgresql":
        pytest.skip(f"drills run on SQLite and PostgreSQL, not {connection.vendor}")
    # The same server and credentials, the test database's name: the committed demo content.
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    env["DATABASE_URL"] = urllib.parse.urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]  # the production shape: caches in Redis too
    return DrillDatabase("postgresql", env)


def drill(database: DrillDatabase, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(DRILL), *args],
        cwd=ROOT,
        env=database.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when_written(process):
    """SIGKILL a drill once it says its write is made but not committed."""
    try:
        line = process.stdout.readline().strip()
        assert line == "written, not committed", process.stderr.read()[-3000:]
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL


# Errors that would mean a writer failed instead of waiting for its turn.
CONTENTION_ERRORS = ("database is locked", "deadlock detected", "could not serialize access")


def test_concurrent_writers_wait_for_each_other_instead_of_failing(drill_db):
    users_before = drill_db.query("SELECT count(*) FROM auth_user")
    writers = [drill(drill_db, "write", f"writer{n}", "15") for n in range(4)]
    results = [writer.communicate(timeout=120) for writer in writers]
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err[-2000:]
        assert out.strip() == "done"
        assert not any(error in err for error in CONTENTION_ERRORS), err[-2000:]
    assert drill_db.query("SELECT count(*) FROM auth_user") == users_before + 4 * 15


def test_a_worker_killed_mid_write_leaves_nothing_half_written(drill_db):
    title_sql = "SELECT title FROM wagtailcore_page WHERE slug = 'sciatica'"
    title_before = drill_db.query(title_sql)
    revisions_before = drill_db.query("SELECT count(*) FROM wagtailcore_revision")
    kill_when_written(drill(drill_db, "publish", "Half-written title", "60"))
    assert drill_db.intact()
    assert drill_db.query(title_sql) == title_before
    assert drill_db.query("SELECT count(*) FROM wagtailcore_revision") == revisions_before

    # The same drill left to finish does change both: the checks above can fail.
    finished = drill(drill_db, "publish", "Fully written title", "0")
    out, err = finished.communicate(timeout=60)
    assert finished.returncode == 0, err[-2000:]
    assert drill_db.query(title_sql) == "Fully written title"
    assert drill_db.query("SELECT count(*) FROM wagtailcore_revision") == revisions_before + 1
