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
import time
from pathlib import Path

from django.db import connections

FORMAT_VERSION = 1
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"


# How long a restore waits for another session's lock before giving up (seconds).
DEFAULT_LOCK_TIMEOUT = 30.0


class BackupError(Exception):
    pass


class LockTimeout(BackupError):
    """Another process held a lock the restore needed; nothing was changed."""


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


def _restore_database(alias: str, engine: str, source: Path, *, lock_timeout: float) -> None:
    connection = connections[alias]
    if engine != connection.vendor:
        raise BackupError(f"This archive holds a {engine} database; the site runs on {connection.vendor}.")
    if engine == "sqlite":
        _restore_sqlite(connection, source, lock_timeout=lock_timeout)
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
    # DROP SCHEMA ... CASCADE needs an ACCESS EXCLUSIVE lock on every table, so any session with
    # an open transaction that touched one (a web or worker process still running) makes it wait:
    # lock_timeout turns that wait into a failure with a message instead of a hang. (The dump's
    # own header sets lock_timeout back to 0, but by then every old table is locked by us and the
    # script only creates new objects.)
    result = subprocess.run(  # nosec B603
        [
            psql,
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            f"--command=SET lock_timeout = '{_milliseconds(lock_timeout)}ms'",
            "--command=DROP SCHEMA public CASCADE",
            "--command=CREATE SCHEMA public",
            f"--file={script}",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 and "lock timeout" in result.stderr:
        raise LockTimeout(_lock_timeout_message(lock_timeout, _pg_lock_holders(alias)))
    _raise_for(result, "psql")


def _milliseconds(seconds: float) -> int:
    if not seconds > 0:
        raise BackupError(f"The lock timeout must be a positive number of seconds, not {seconds!r}.")
    return max(1, round(seconds * 1000))


def _lock_timeout_message(seconds: float, holders: list[str]) -> str:
    message = (
        f"Timed out after {seconds:g} s waiting for a database lock: another process is still using "
        "the database. Nothing was changed (database and media files are as they were). "
        "Stop clinic-web and clinic-worker (and any other client: a psql session, a cron job), "
        "then run restore again; or wait longer with --lock-timeout SECONDS."
    )
    if holders:
        message += " Sessions holding locks on the site's tables just now: " + "; ".join(holders) + "."
    return message


def _pg_lock_holders(alias: str) -> list[str]:
    """Who held locks on the site's tables when the restore gave up, to say whom to stop.

    Best effort (they may have finished since); the query text is never shown: it can hold
    patient data."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT a.pid, coalesce(nullif(a.application_name, ''), a.backend_type),
                       coalesce(host(a.client_addr), 'local socket'), a.state,
                       to_char(a.xact_start AT TIME ZONE 'UTC', 'HH24:MI:SS')
                FROM pg_stat_activity a
                WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
                  AND EXISTS (
                    SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                    WHERE l.pid = a.pid AND l.granted AND c.relnamespace = 'public'::regnamespace
                  )
                ORDER BY a.xact_start NULLS LAST LIMIT 5
                """
            )
            rows = cursor.fetchall()
    except Exception:  # a hint only: the timeout message stands without it
        return []
    finally:
        connection.close()
    return [
        f"pid {pid} ({name}, from {client}, {state}" + (f", transaction open since {since} UTC)" if since else ")")
        for pid, name, client, state, since in rows
    ]


def _restore_sqlite(connection, source: Path, *, lock_timeout: float) -> None:
    connection.ensure_connection()
    live = connection.connection
    # Python's backup() retries a busy destination for ever; the busy timeout bounds each attempt
    # and the progress callback ends the loop once lock_timeout has passed.
    (previous_timeout,) = live.execute("PRAGMA busy_timeout").fetchone()
    live.execute(f"PRAGMA busy_timeout = {_milliseconds(lock_timeout)}")
    deadline = time.monotonic() + lock_timeout

    def give_up_when_late(status, remaining, total):
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() >= deadline:
            raise LockTimeout(_lock_timeout_message(lock_timeout, []))

    origin = sqlite3.connect(source)
    try:
        # All pages in one step (pages=-1), so one write transaction replaces the live database
        # whole; a step that found the database busy wrote nothing.
        origin.backup(live, pages=-1, progress=give_up_when_late)
    finally:
        origin.close()
        live.execute(f"PRAGMA busy_timeout = {int(previous_timeout)}")


def _run(command: list[str], *, env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # nosec B603
    _raise_for(result, Path(command[0]).name)


def _raise_for(result: subprocess.CompletedProcess, program: str) -> None:
    if result.returncode != 0:
        # Only the client's error lines: the script itself (patient data) is never echoed.
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line or "error" in line][:5]
        raise BackupError(f"{program} failed (exit {result.returncode}); nothing was changed: " + " | ".join(errors))


def restore_backup(
    *, archive_path: Path, media_root: Path, alias: str = "default", lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> dict:
    """Bring the database and media back exactly as they were in the archive.

    Either both are replaced or, when anything fails before the database is committed, neither:
    the media are staged (copied next to MEDIA_ROOT) first, the database restored, and only then
    is the staged folder renamed into place."""
    _milliseconds(lock_timeout)  # refuse a bad value before anything is unpacked
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
        staged = _stage_media(work_dir / "media", media_root)
        try:
            _restore_database(alias, manifest["engine"], work_dir / manifest["database"], lock_timeout=lock_timeout)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        try:
            _swap_media(staged, media_root)
        except OSError as error:
            raise BackupError(
                f"The database was restored, but the media folder could not be replaced ({error}); "
                f"the archive's media files are in {staged}: move them to {media_root} by hand."
            ) from error
        return manifest


def _stage_media(extracted: Path, media_root: Path) -> Path:
    """A complete copy of the archive's media beside MEDIA_ROOT (same file system: rename is atomic)."""
    media_root.parent.mkdir(parents=True, exist_ok=True)
    incoming = Path(tempfile.mkdtemp(prefix=".media-restore-", dir=media_root.parent))
    try:
        if extracted.is_dir():
            shutil.copytree(extracted, incoming, dirs_exist_ok=True)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    return incoming


def _swap_media(incoming: Path, media_root: Path) -> None:
    previous = media_root.with_name(media_root.name + ".before-restore")
    if previous.exists():
        shutil.rmtree(previous)
    if media_root.exists():
        media_root.rename(previous)
    incoming.rename(media_root)
    if previous.exists():
        shutil.rmtree(previous)
