"""Which database and cache `make load` and `make soak` run on, chosen as the app chooses them.

Without DATABASE_URL the runs use a throwaway SQLite copy of the demo site (deleted afterwards);
with DATABASE_URL (PostgreSQL only) they use that database, create it if it is missing, migrate it
and load the demo content into it (both idempotent). REDIS_URL, when set, is passed on as it is:
the settings then keep the page cache, sessions and throttle counters in that Redis db. Nothing
else is touched: no other database (except PostgreSQL's maintenance database `postgres`, opened
only to CREATE the given one when it does not exist yet) and no other Redis db.

The report says what the app itself chose: `describe()` reads the settings of the very
environment the server gets, not the variables, so a setting that ignores a variable shows.
"""

import json
import subprocess
import urllib.parse
from dataclasses import dataclass

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}
REDIS_SCHEMES = {"redis", "rediss"}
# The bench's own bookings: bench/load.py's Lua script books as "Load Test", load<N>@example.org.
BENCH_BOOKING = {"name": "Load Test", "email_prefix": "load", "email_domain": "@example.org"}


class BackendError(ValueError):
    """A DATABASE_URL or REDIS_URL the bench will not run on."""


@dataclass(frozen=True)
class Backends:
    database_url: str = ""  # empty: a throwaway SQLite copy
    redis_url: str = ""  # empty: production's file and in-process caches

    @property
    def throwaway_sqlite(self) -> bool:
        return not self.database_url

    def env(self) -> dict[str, str]:
        """The variables to hand the app (bench/common.production_env() strips both)."""
        return {
            name: value for name, value in (("DATABASE_URL", self.database_url), ("REDIS_URL", self.redis_url)) if value
        }


def from_environ(environ) -> Backends:
    database_url = environ.get("DATABASE_URL", "").strip()
    redis_url = environ.get("REDIS_URL", "").strip()
    if database_url:
        parts = urllib.parse.urlsplit(database_url)
        if parts.scheme not in POSTGRES_SCHEMES:
            # A sqlite:// URL would name a file the bench then writes bookings into; the throwaway
            # copy (no DATABASE_URL) is the SQLite run.
            raise BackendError(
                f"DATABASE_URL must be a PostgreSQL URL (postgres://...), not {parts.scheme}://; "
                "unset it to run on a throwaway SQLite copy"
            )
        if not parts.path.strip("/"):
            raise BackendError("DATABASE_URL names no database (postgres://user@host:5432/NAME)")
    if redis_url:
        scheme = urllib.parse.urlsplit(redis_url).scheme
        if scheme not in REDIS_SCHEMES:
            raise BackendError(f"REDIS_URL must be redis:// or rediss://, not {scheme}://")
        redis_db(redis_url)  # raises on a path that is no db number
    return Backends(database_url, redis_url)


def redis_db(url: str) -> int:
    """The db number of a Redis URL as redis-py reads it: the path, else ?db=, else 0."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path.strip("/")
    query = urllib.parse.parse_qs(parts.query).get("db", [""])[0]
    value = path or query or "0"
    if not value.isdigit():
        raise BackendError(f"REDIS_URL's db must be a number, not {value!r}")
    return int(value)


def _host(parts: urllib.parse.SplitResult, default_port: int) -> str:
    # Only host and port: a password in the URL never reaches the report.
    return f"{parts.hostname or 'localhost'}:{parts.port or default_port}"


def describe_database(database: dict) -> str:
    """One line from settings.DATABASES["default"] (ENGINE, NAME, HOST, PORT, USER only)."""
    engine = database["ENGINE"].rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return f"SQLite {database['NAME']}"
    if engine == "postgresql":
        host = f"{database.get('HOST') or 'localhost'}:{database.get('PORT') or 5432}"
        return f"PostgreSQL {database['NAME']} on {host} (user {database.get('USER') or '-'})"
    return f"{engine} {database['NAME']}"


def describe_caches(caches: dict, session_engine: str) -> str:
    """One line from settings.CACHES and SESSION_ENGINE: where pages, sessions and throttles live."""
    where: dict[str, list[str]] = {}
    for alias in ("pages", "sessions", "throttle", "default"):
        if alias in caches:
            where.setdefault(_describe_cache(caches[alias]), []).append(alias)
    sessions = {
        "django.contrib.sessions.backends.cache": "sessions in the cache only",
        "django.contrib.sessions.backends.cached_db": "sessions in the database, read through the cache",
        "django.contrib.sessions.backends.db": "sessions in the database",
    }.get(session_engine, session_engine)
    return "; ".join(f"{', '.join(aliases)}: {place}" for place, aliases in where.items()) + f" ({sessions})"


def _describe_cache(cache: dict) -> str:
    backend = cache["BACKEND"]
    location = cache.get("LOCATION", "")
    if "redis" in backend.lower():
        parts = urllib.parse.urlsplit(location)
        return f"Redis {_host(parts, 6379)} db {redis_db(location)}"
    if backend.endswith("FileBasedCache"):
        return f"files in {location}"
    if backend.endswith("LocMemCache"):
        return "per-process memory"
    return backend.rsplit(".", 1)[-1]


SETTINGS_SNIPPET = """
import json
from django.conf import settings
database = {key: settings.DATABASES["default"].get(key) for key in ("ENGINE", "NAME", "HOST", "PORT", "USER")}
caches = {alias: {"BACKEND": c["BACKEND"], "LOCATION": c.get("LOCATION", "")} for alias, c in settings.CACHES.items()}
print(json.dumps({"database": database, "caches": caches, "session_engine": settings.SESSION_ENGINE}, default=str))
"""


def describe(env: dict, *, python: str, root) -> dict[str, str]:
    """What the app chose under `env`, as two report lines ("database", "cache")."""
    chosen = json.loads(shell(SETTINGS_SNIPPET, env, python=python, root=root))
    return {
        "database": describe_database(chosen["database"]),
        "cache": describe_caches(chosen["caches"], chosen["session_engine"]),
    }


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database of `url` if it does not exist; True when it was created."""
    import psycopg
    from psycopg import sql

    conninfo = _libpq_url(url)
    try:
        psycopg.connect(conninfo, connect_timeout=5).close()
        return False
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.lstrip("/"))
    maintenance = urllib.parse.urlsplit(conninfo)._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def _libpq_url(url: str) -> str:
    # libpq knows postgres:// and postgresql://; dj-database-url also takes pgsql://.
    parts = urllib.parse.urlsplit(url)
    return parts._replace(scheme="postgresql").geturl()


RESET_SNIPPET = """
from appointments.models import Appointment
deleted, _ = Appointment.objects.filter(
    name={name!r}, email__startswith={email_prefix!r}, email__endswith={email_domain!r}
).delete()
print(deleted)
"""


def remove_bench_bookings(env: dict, *, python: str, root) -> int:
    """Delete the bookings an earlier run left (only the bench's own), so its free slots are free
    again: a PostgreSQL database outlives the run, unlike the throwaway SQLite copy."""
    return int(shell(RESET_SNIPPET.format(**BENCH_BOOKING), env, python=python, root=root))


LIFT_LIMITS_SNIPPET = """
from appointments.availability import booking_settings
policy = booking_settings()
policy.online_bookings_per_hour = 32767
policy.save()
print(policy.online_bookings_per_hour)
"""


def lift_online_limits(env: dict, *, python: str, root) -> None:
    """The load runs book hundreds of times an hour from one address (each booking its own email);
    the per-address cap for patients (booking settings) would refuse them."""
    shell(LIFT_LIMITS_SNIPPET, env, python=python, root=root)


def shell(snippet: str, env: dict, *, python: str, root) -> str:
    out = subprocess.run(
        [python, "manage.py", "shell", "-c", snippet], cwd=root, env=env, capture_output=True, text=True, check=True
    ).stdout
    return out.strip().splitlines()[-1]
