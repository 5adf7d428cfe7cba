from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Replace the database and media files with those in an archive written by `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, archive, yes=False, **options):
        if not archive.is_file():
            raise CommandError(f"No such archive: {archive}")
        if not yes:
            answer = input(
                "This replaces the whole database and media. Stop the web and worker first. Type 'restore': "
            )
            if answer.strip() != "restore":
                raise CommandError("Cancelled.")
        try:
            manifest = restore_backup(archive_path=archive, media_root=Path(settings.MEDIA_ROOT))
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored the {manifest['engine']} backup taken at {manifest['created_at']}.")
