"""Drain the email outbox, retrying with backoff; also sends due reminders and expires old requests."""

import signal

from django.core.management.base import BaseCommand

from appointments.outbox import run_worker


class Command(BaseCommand):
    help = "Run the outbox worker (replaces django-tasks-db's db_worker for the 'outbox' backend)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between passes.")
        parser.add_argument("--once", action="store_true", help="One pass, then exit (for cron or tests).")

    def handle(self, *args, interval, once, **options):
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        run_worker(interval=interval, once=once, stop=lambda: bool(stopping))
