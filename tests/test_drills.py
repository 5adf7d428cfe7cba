"""Reliability drills on a real SQLite file (the embedded default): writer contention and a
worker killed in the middle of a write. Booking and rotation versions follow once the members
and appointments apps are merged (see docs/operations.md)."""

import io
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from clinic.testing import ensure_wagtail_tree

ROOT = Path(__file__).resolve().parents[1]
DRILL = ROOT / "tests" / "drill_worker.py"


@pytest.fixture
def sqlite_file(django_db_serialized_rollback, transactional_db, tmp_path):
    """The test database, demo content included, copied into a file the subprocesses share."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite drills (busy timeout, file locking); on PostgreSQL row locks and MVCC cover both")
    ensure_wagtail_tree()
    call_command("load_demo_content", stdout=io.StringIO())
    path = tmp_path / "drill.sqlite3"
    target = sqlite3.connect(path)
    connection.ensure_connection()
    connection.connection.backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    return path


def drill(sqlite_path: Path, *args: str) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(SQLITE_PATH=str(sqlite_path), DJANGO_SETTINGS_MODULE="clinic.settings.test", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, str(DRILL), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def query(path: Path, sql: str):
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchone()[0]


def test_concurrent_writers_wait_for_each_other_instead_of_failing(sqlite_file):
    users_before = query(sqlite_file, "SELECT count(*) FROM auth_user")
    writers = [drill(sqlite_file, "write", f"writer{n}", "15") for n in range(4)]
    results = [writer.communicate(timeout=120) for writer in writers]
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err[-2000:]
        assert out.strip() == "done"
        assert "database is locked" not in err
    assert query(sqlite_file, "SELECT count(*) FROM auth_user") == users_before + 4 * 15


def test_a_worker_killed_mid_write_leaves_nothing_half_written(sqlite_file):
    title_before = query(sqlite_file, "SELECT title FROM wagtailcore_page WHERE slug = 'sciatica'")
    revisions_before = query(sqlite_file, "SELECT count(*) FROM wagtailcore_revision")
    worker = drill(sqlite_file, "publish", "Half-written title", "60")
    try:
        assert worker.stdout.readline().strip() == "written, not committed"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        worker.stdout.close()
        worker.stderr.close()
    assert worker.returncode == -signal.SIGKILL
    assert query(sqlite_file, "SELECT title FROM wagtailcore_page WHERE slug = 'sciatica'") == title_before
    assert query(sqlite_file, "SELECT count(*) FROM wagtailcore_revision") == revisions_before
    assert query(sqlite_file, "PRAGMA integrity_check") == "ok"

    # The same drill left to finish does change both: the checks above can fail.
    finished = drill(sqlite_file, "publish", "Fully written title", "0")
    out, err = finished.communicate(timeout=60)
    assert finished.returncode == 0, err[-2000:]
    assert query(sqlite_file, "SELECT title FROM wagtailcore_page WHERE slug = 'sciatica'") == "Fully written title"
    assert query(sqlite_file, "SELECT count(*) FROM wagtailcore_revision") == revisions_before + 1
