"""Simultaneous rotations, run by threads with their own connections.

Imported by test_concurrency.py (PostgreSQL, in the test database) and run as a script
against a fresh file-based SQLite database (in-memory SQLite shared between threads
refuses concurrent writers instead of queueing them, unlike the file database we deploy):

    SQLITE_PATH=/tmp/x.sqlite3 DJANGO_SETTINGS_MODULE=clinic.settings.test python -m members.tests.concurrency_probe
"""

import datetime
import json
import threading

THREADS = 6
T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)


def run_together(target) -> list:
    from django.db import connections

    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:  # reported to the caller
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise AssertionError(errors)
    return results


def lazy_rotations() -> dict:
    """Every thread finds the password due at once; each calls current()."""
    from members import passwords
    from members.models import SharedPassword

    SharedPassword.objects.all().delete()
    passwords.current(now=T0)
    due = T0 + datetime.timedelta(days=30)
    pks = run_together(lambda: passwords.current(now=due).pk)
    return {
        "distinct_results": len(set(pks)),
        "rows": SharedPassword.objects.count(),
        "current_generations": list(
            SharedPassword.objects.filter(replaced_at__isnull=True).values_list("generation", flat=True)
        ),
    }


def staff_rotations() -> dict:
    """Every thread presses "Rotate now" for the same generation."""
    from members import passwords
    from members.models import SharedPassword

    SharedPassword.objects.all().delete()
    passwords.current(now=T0)
    results = run_together(
        lambda: passwords.rotate_now(now=T0, grace=datetime.timedelta(days=1), expected_generation=1)
    )
    return {
        "rotated": sum(result.rotated for result in results),
        "generations": sorted({result.password.generation for result in results}),
        "rows": SharedPassword.objects.count(),
    }


if __name__ == "__main__":
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.MEMBERS_ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    call_command("migrate", verbosity=0)
    print(json.dumps({"vendor": "sqlite", "lazy": lazy_rotations(), "staff": staff_rotations()}))
