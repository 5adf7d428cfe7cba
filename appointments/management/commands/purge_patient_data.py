"""Remove patient details from appointments older than the retention period in booking settings."""

from django.core.management.base import BaseCommand

from appointments.patient_data import purge_expired
from throttling.purge import purge_expired as purge_throttle_counters


class Command(BaseCommand):
    help = "Purge patient details of past appointments older than the retention period (booking settings)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run, **options):
        count = purge_expired(dry_run=dry_run)
        verb = "Would purge" if dry_run else "Purged"
        self.stdout.write(f"{verb} patient details of {count} appointment(s).")
        if not dry_run:
            # Ended throttle windows (the outbox worker's daily run does the same).
            self.stdout.write(f"Removed {purge_throttle_counters()} ended throttle counter(s).")
