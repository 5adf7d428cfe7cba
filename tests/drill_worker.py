"""Subprocess side of the reliability drills in tests/test_drills.py (run with SQLITE_PATH set).

python tests/drill_worker.py write NAME COUNT   concurrent writers: read, pause, write, in one transaction
python tests/drill_worker.py publish TITLE WAIT publish a new revision; WAIT seconds before commit
"""

import os
import sys
import time
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


if __name__ == "__main__":
    action, *args = sys.argv[1:]
    if action == "write":
        write(args[0], int(args[1]))
    elif action == "publish":
        publish(args[0], float(args[1]))
    else:
        raise SystemExit(f"unknown drill {action}")
