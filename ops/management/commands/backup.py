import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Write the database (SQLite online backup or pg_dump) and the media files into one .tar.gz archive."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="archive path (default: BACKUP_DIR/clinic-<UTC time>.tar.gz)")

    def handle(self, *args, output=None, **options):
        if output is None:
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            output = Path(settings.BACKUP_DIR) / f"clinic-{stamp}.tar.gz"
        try:
            path = create_backup(output=output, media_root=Path(settings.MEDIA_ROOT))
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backup written to {path} ({path.stat().st_size} bytes)")
