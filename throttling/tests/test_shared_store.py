"""Two separate OS processes count against one limit: the shared store, not each one's memory."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from . import hit_probe

HITS_EACH = 30


def run_two_processes(env: dict) -> list[dict]:
    def command(*args):
        return [sys.executable, "-m", "throttling.tests.hit_probe", *args]

    cwd = Path(settings.BASE_DIR)
    subprocess.run(command("migrate"), cwd=cwd, env=env, check=True, timeout=120)  # noqa: S603
    start_at, scope = str(time.time() + 2), f"probe-{uuid.uuid4().hex[:8]}"
    children = [
        subprocess.Popen(  # noqa: S603 - our own module, our own interpreter
            command("hit", str(HITS_EACH), start_at, scope), cwd=cwd, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    reports = []
    for child in children:
        out, _err = child.communicate(timeout=120)
        assert child.returncode == 0
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


def clean_env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="clinic.settings.test", **extra)
    return env


def test_two_processes_share_one_limit_in_the_database(tmp_path):
    reports = run_two_processes(clean_env(SQLITE_PATH=str(tmp_path / "throttle.sqlite3")))
    assert {report["store"] for report in reports} == {"DatabaseStore"}
    # Each process alone would have allowed 10 (20 in all) if it counted in its own memory.
    assert sum(report["allowed"] for report in reports) == hit_probe.LIMIT


def test_two_processes_share_one_limit_in_redis(tmp_path):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("Redis run: set REDIS_URL")
    reports = run_two_processes(clean_env(SQLITE_PATH=str(tmp_path / "throttle.sqlite3"), REDIS_URL=redis_url))
    assert {report["store"] for report in reports} == {"RedisStore"}
    assert sum(report["allowed"] for report in reports) == hit_probe.LIMIT
