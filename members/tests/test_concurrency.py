"""Two (or more) simultaneous rotations produce exactly one new password, on SQLite and PostgreSQL.

Threads with their own connections are released together by a barrier so their
transactions really overlap. On PostgreSQL (DATABASE_URL) they run in the test database;
on SQLite they run in a subprocess against a fresh file database (see concurrency_probe).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from . import concurrency_probe

EXPECTED_LAZY = {"distinct_results": 1, "rows": 2, "current_generations": [2]}
EXPECTED_STAFF = {"rotated": 1, "generations": [2], "rows": 2}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_rotations_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL run: set DATABASE_URL")
    assert concurrency_probe.lazy_rotations() == EXPECTED_LAZY
    assert concurrency_probe.staff_rotations() == EXPECTED_STAFF


def test_simultaneous_rotations_on_sqlite(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="clinic.settings.test", SQLITE_PATH=str(tmp_path / "concurrency.sqlite3"))
    result = subprocess.run(  # noqa: S603 - our own module, our own interpreter
        [sys.executable, "-m", "members.tests.concurrency_probe"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["lazy"] == EXPECTED_LAZY
    assert report["staff"] == EXPECTED_STAFF
