import argparse
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.backup import DEFAULT_LOCK_TIMEOUT, BackupError, restore_backup


def positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value!r}")
    return seconds


class Command(BaseCommand):
    help = "Replace the database and media files with those in an archive written by `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--lock-timeout",
            type=positive_seconds,
            default=DEFAULT_LOCK_TIMEOUT,
            metavar="SECONDS",
            help=(
                "give up (changing nothing) after waiting this long for a lock another process holds "
                f"on the database (default {DEFAULT_LOCK_TIMEOUT:g})"
            ),
        )

    def handle(self, *args, archive, yes=False, lock_timeout=DEFAULT_LOCK_TIMEOUT, **options):
        if not archive.is_file():
            raise CommandError(f"No such archive: {archive}")
        if not yes:
            answer = input(
                "This replaces the whole database and media. Stop the web and worker first. Type 'restore': "
            )
            if answer.strip() != "restore":
                raise CommandError("Cancelled.")
        try:
            manifest = restore_backup(
                archive_path=archive, media_root=Path(settings.MEDIA_ROOT), lock_timeout=lock_timeout
            )
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored the {manifest['engine']} backup taken at {manifest['created_at']}.")
