"""Backup and restore round-trip every row of every model and every media file.

Comparing `dumpdata` of all installed apps before the backup and after the restore covers
whatever models exist: pages and revisions now, and members' passwords and passes and
appointments' bookings once those apps are merged (the test needs no change for them).
"""

import io
import shutil
import tarfile

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from wagtail.models import Page

from clinic.testing import ensure_wagtail_tree


def dump_everything() -> str:
    out = io.StringIO()
    # Every table except sessions (none exist here, and they are not content).
    call_command("dumpdata", "--all", "--indent", "0", "--exclude", "sessions", stdout=out)
    return out.getvalue()


@pytest.fixture
def backups_possible():
    if connection.vendor == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed (apt-get install postgresql-client)")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_then_restore_brings_back_every_row_and_media_file(settings, tmp_path, backups_possible):
    ensure_wagtail_tree()
    call_command("load_demo_content", stdout=io.StringIO())
    get_user_model().objects.create_user("staffer", "staffer@clinic.example", "a long enough password")
    media = settings.MEDIA_ROOT
    (media / "original_images").mkdir(parents=True, exist_ok=True)
    (media / "original_images" / "spine.png").write_bytes(b"\x89PNG not really")
    before = dump_everything()
    assert '"model": "pages.conditionpage"' in before

    archive = tmp_path / "backups" / "clinic.tar.gz"
    call_command("backup", "--output", str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert "manifest.json" in names
    assert "media/original_images/spine.png" in names
    assert {"database.sqlite3", "database.pgdump"} & names

    # Damage everything: delete pages, add a user, lose and add media files.
    Page.objects.get(slug="sciatica").delete()
    get_user_model().objects.create_user("intruder", "x@example.com", "another long password")
    (media / "original_images" / "spine.png").unlink()
    (media / "stray.txt").write_text("not in the backup")
    assert dump_everything() != before

    call_command("restore", str(archive), "--yes", stdout=io.StringIO())
    assert dump_everything() == before
    assert (media / "original_images" / "spine.png").read_bytes() == b"\x89PNG not really"
    assert not (media / "stray.txt").exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restore_refuses_something_that_is_not_a_backup(tmp_path):
    from django.core.management.base import CommandError

    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        tar.add(__file__, arcname="notes.txt")
    before = dump_everything()
    with pytest.raises(CommandError, match="manifest"):
        call_command("restore", str(bogus), "--yes")
    assert dump_everything() == before
