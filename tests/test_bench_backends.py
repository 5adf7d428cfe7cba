"""`make load` / `make soak`: choosing and describing the database and cache, and the end-of-run
checks (bench/backends.py, bench/checks.py), without a server."""

import os
import sys
from pathlib import Path

import dj_database_url
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from backends import BackendError, describe, describe_database, from_environ, redis_db  # noqa: E402
from checks import end_of_run_checks, passed  # noqa: E402


def test_without_urls_the_runs_use_a_throwaway_sqlite_copy():
    backends = from_environ({"PATH": "/usr/bin"})
    assert backends.throwaway_sqlite
    assert backends.env() == {}


def test_urls_are_handed_to_the_app_as_given():
    pg, redis = "postgres://postgres@127.0.0.1:5432/pgload_bench", "redis://127.0.0.1:6379/13"
    backends = from_environ({"DATABASE_URL": pg, "REDIS_URL": redis})
    assert not backends.throwaway_sqlite
    assert backends.env() == {"DATABASE_URL": pg, "REDIS_URL": redis}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DATABASE_URL": "sqlite:////tmp/clinic.sqlite3"}, "must be a PostgreSQL URL"),
        ({"DATABASE_URL": "mysql://root@127.0.0.1/clinic"}, "must be a PostgreSQL URL"),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/"}, "names no database"),
        ({"REDIS_URL": "http://127.0.0.1:6379/13"}, "must be redis://"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/cache"}, "must be a number"),
    ],
)
def test_urls_the_bench_would_misuse_are_refused(environ, message):
    with pytest.raises(BackendError, match=message):
        from_environ(environ)


@pytest.mark.parametrize(
    ("url", "db"),
    [("redis://127.0.0.1:6379/13", 13), ("redis://127.0.0.1:6379", 0), ("redis://127.0.0.1:6379?db=14", 14)],
)
def test_redis_db_number_is_read_as_redis_py_reads_it(url, db):
    assert redis_db(url) == db


def test_database_line_names_database_and_host_but_never_the_password():
    settings = dj_database_url.parse("postgres://bench:s3cret@db.internal:5433/pgload_bench")
    line = describe_database(settings)
    assert line == "PostgreSQL pgload_bench on db.internal:5433 (user bench)"
    assert "s3cret" not in line


def test_describe_reports_what_the_production_settings_chose():
    """One `manage.py shell` (about a second): the report reads the settings, not the variables."""
    env = {
        **{key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}},
        "DJANGO_SETTINGS_MODULE": "clinic.settings.production",
        "SECRET_KEY": "test-only-" + "x" * 50,
        "DATABASE_URL": "postgres://bench:s3cret@127.0.0.1:5432/pgload_describe",
        "REDIS_URL": "redis://:hidden@127.0.0.1:6379/13",
    }
    chosen = describe(env, python=sys.executable, root=ROOT)
    assert chosen == {
        "database": "PostgreSQL pgload_describe on 127.0.0.1:5432 (user bench)",
        "cache": "pages, sessions, throttle, default: Redis 127.0.0.1:6379 db 13 (sessions in the cache only)",
    }


def checks_of(**changes):
    run = {
        "socket_errors": 0,
        "statuses": {"200": 900, "201": 100},
        "offered": 100,
        "outcome": {"bookings": 100, "slots": 100, "outbox": {"SUCCESSFUL": 205}},
        "sent": 100,
        "every_slot": True,
    }
    run.update(changes)
    return {check.name: check.ok for check in end_of_run_checks(**run)}


def test_a_clean_run_passes_every_check():
    assert checks_of() == {
        "no socket error": True,
        "responses": True,
        "no slot booked twice": True,
        "every 201 stored": True,
        "outbox drained": True,
        "every free slot booked": True,
    }


@pytest.mark.parametrize(
    ("changes", "failed"),
    [
        ({"socket_errors": 3}, ["no socket error"]),
        ({"statuses": {"200": 900, "201": 99, "503": 1}}, ["responses"]),
        ({"statuses": {}}, ["responses"]),  # the Lua script's count missing: nothing proves the run
        ({"outcome": {"bookings": 100, "slots": 99, "outbox": {"SUCCESSFUL": 205}}}, ["no slot booked twice"]),
        ({"statuses": {"200": 899, "201": 101}, "sent": 101}, ["every 201 stored"]),  # a 201 not stored
        ({"sent": 99}, ["every 201 stored"]),  # more stored than the script sent
        ({"sent": -1}, ["every 201 stored"]),  # the script's count of POSTs missing
        ({"outcome": {"bookings": 100, "slots": 100, "outbox": {"SUCCESSFUL": 200, "READY": 5}}}, ["outbox drained"]),
        ({"outcome": {"bookings": 100, "slots": 100, "outbox": {"SUCCESSFUL": 204, "FAILED": 1}}}, ["outbox drained"]),
        ({"outcome": {"bookings": 100, "slots": 100, "outbox": {}}}, ["outbox drained"]),  # no worker ran
        ({"offered": 120, "sent": 120}, ["every free slot booked"]),
    ],
)
def test_each_check_fails_on_its_own(changes, failed):
    results = checks_of(**changes)
    assert [name for name, ok in results.items() if ok is False] == failed


def test_a_booking_in_flight_at_the_stop_is_not_a_lost_one():
    outcome = {"bookings": 101, "slots": 101, "outbox": {"SUCCESSFUL": 207}}
    assert checks_of(outcome=outcome, offered=101, sent=101)["every 201 stored"] is True


def test_a_run_too_short_to_offer_every_slot_says_so_without_failing():
    checks = end_of_run_checks(
        socket_errors=0,
        statuses={"200": 2894, "201": 316},
        offered=505,
        outcome={"bookings": 322, "slots": 322, "outbox": {"SUCCESSFUL": 645}},
        sent=322,
        every_slot=True,
    )
    assert [(check.name, check.ok) for check in checks][-1] == ("every free slot booked", None)
    assert "sent only 322 booking POSTs" in checks[-1].detail
    assert passed(checks)


def test_the_soak_need_not_book_every_slot():
    assert "every free slot booked" not in checks_of(offered=120, every_slot=False)
