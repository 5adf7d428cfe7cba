"""One archive holds the whole site: a consistent copy of the database plus the media files.

SQLite is copied with its online backup API (a consistent snapshot while the site runs);
PostgreSQL with pg_dump's custom format (one consistent snapshot, restored with pg_restore).
Media follow the database: files are only ever added by uploads, so every file the copied
database refers to is present in the archive.
"""

import datetime
import io
import json
import os
import shutil
import sqlite3

# pg_dump/pg_restore run with fixed argument lists and no shell (bandit B404/B603 reviewed).
import subprocess  # nosec B404
import tarfile
import tempfile
from pathlib import Path

from django.db import connections

FORMAT_VERSION = 1
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"


class BackupError(Exception):
    pass


def _engine(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _pg_env_and_args(settings_dict: dict) -> tuple[dict, list[str]]:
    env = os.environ.copy()
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args += [flag, str(settings_dict[key])]
    return env, args + ["--dbname", settings_dict["NAME"]]


def _dump_database(alias: str, target: Path) -> str:
    connection = connections[alias]
    engine = _engine(alias)
    if engine == "sqlite":
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            # Django's own connection works for files and for the in-memory test database alike.
            connection.connection.backup(destination)
        finally:
            destination.close()
        return SQLITE_MEMBER
    pg_dump = shutil.which("pg_dump")
    if not pg_dump:
        raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client).")
    env, args = _pg_env_and_args(connection.settings_dict)
    subprocess.run(  # nosec B603
        [pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), *args],
        env=env,
        check=True,
        capture_output=True,
    )
    return PG_MEMBER


def create_backup(*, output: Path, media_root: Path, alias: str = "default") -> Path:
    """Write `output` (a .tar.gz) and return its path; nothing is left half-written on failure."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="clinic-backup-") as work:
        work_dir = Path(work)
        member = _dump_database(alias, work_dir / "database")
        manifest = {
            "format": FORMAT_VERSION,
            "engine": connections[alias].vendor,
            "database": member,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        }
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(work_dir / "database", arcname=member)
            if media_root.is_dir():
                archive.add(media_root, arcname="media")
        partial.replace(output)
    return output


def _restore_database(alias: str, engine: str, source: Path) -> None:
    connection = connections[alias]
    if engine != connection.vendor:
        raise BackupError(f"This archive holds a {engine} database; the site runs on {connection.vendor}.")
    if engine == "sqlite":
        connection.ensure_connection()
        origin = sqlite3.connect(source)
        try:
            # Page by page into the live database, replacing it whole in one step.
            origin.backup(connection.connection)
        finally:
            origin.close()
        return
    pg_restore, psql = shutil.which("pg_restore"), shutil.which("psql")
    if not (pg_restore and psql):
        raise BackupError("pg_restore and psql are needed (Debian: apt-get install postgresql-client).")
    connection.close()
    env, args = _pg_env_and_args(connection.settings_dict)
    # The dump as one SQL script first: a pg_restore that fails half-way must not feed psql a
    # truncated script that psql would then commit.
    script = source.with_suffix(".sql")
    _run([pg_restore, "--no-owner", "--no-privileges", "--file", str(script), str(source)], env=env)
    # `pg_restore --clean` drops only what the dump holds: a table a later migration created would
    # survive next to the restored ones. So the whole public schema is dropped and recreated, and
    # the script run, in one transaction: either the database is exactly the backup, or unchanged.
    _run(
        [
            psql,
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            # Fail with a message instead of waiting behind a web or worker process still connected.
            "--command=SET lock_timeout = '30s'",
            "--command=DROP SCHEMA public CASCADE",
            "--command=CREATE SCHEMA public",
            f"--file={script}",
            *args,
        ],
        env=env,
    )


def _run(command: list[str], *, env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # nosec B603
    if result.returncode != 0:
        # Only the client's error lines: the script itself (patient data) is never echoed.
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line or "error" in line][:5]
        raise BackupError(
            f"{Path(command[0]).name} failed (exit {result.returncode}); nothing was changed: " + " | ".join(errors)
        )


def restore_backup(*, archive_path: Path, media_root: Path, alias: str = "default") -> dict:
    """Bring the database and media back exactly as they were in the archive."""
    with tempfile.TemporaryDirectory(prefix="clinic-restore-") as work:
        work_dir = Path(work)
        with tarfile.open(archive_path, "r:gz") as archive:
            # The "data" filter refuses absolute paths, links out of the tree and device files.
            archive.extractall(work_dir, filter="data")
        manifest_path = work_dir / "manifest.json"
        if not manifest_path.exists():
            raise BackupError("Not a clinic backup: manifest.json is missing.")
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise BackupError(f"Unsupported backup format {manifest.get('format')!r}.")
        _restore_database(alias, manifest["engine"], work_dir / manifest["database"])
        _replace_media(work_dir / "media", media_root)
        return manifest


def _replace_media(extracted: Path, media_root: Path) -> None:
    media_root.parent.mkdir(parents=True, exist_ok=True)
    incoming = Path(tempfile.mkdtemp(prefix=".media-restore-", dir=media_root.parent))
    if extracted.is_dir():
        shutil.copytree(extracted, incoming, dirs_exist_ok=True)
    previous = media_root.with_name(media_root.name + ".before-restore")
    if previous.exists():
        shutil.rmtree(previous)
    if media_root.exists():
        media_root.rename(previous)
    incoming.rename(media_root)
    if previous.exists():
        shutil.rmtree(previous)
