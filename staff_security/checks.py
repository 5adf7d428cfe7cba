"""Refuse to serve a database holding an account with the published development password.

`make run` creates `admin` / `clinic-dev-admin` (the README prints it). A server with DEBUG off
must not start while any active account still accepts it: `manage.py check --database default`
(scripts/serve.sh and the systemd unit run it before the server starts; migrate runs it too)
fails with the fix named. Development (DEBUG on) is where that account belongs.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, register
from django.db import connections

from .dev_account import PASSWORD, accounts_with_published_password


@register(Tags.security, Tags.database)
def published_development_password(app_configs=None, databases=None, **kwargs):
    # Django asks checks to touch a database only when one is named (check --database, migrate).
    if settings.DEBUG or not databases or "default" not in databases:
        return []
    table = get_user_model()._meta.db_table
    if table not in connections["default"].introspection.table_names():
        return []  # a new database, before its first migrate
    return [
        Error(
            f"The staff account {username!r} still has the published development password "
            f"({PASSWORD!r}, from `make run`); this server will not start with it.",
            hint=(
                f"Give it a new password with `manage.py changepassword {username}` run with this server's "
                f"settings and database (after `make serve`: `SQLITE_PATH=db.sqlite3 .venv/bin/python manage.py "
                f"changepassword {username}`), or deactivate the account. `make run` keeps its own database "
                "(var/dev.sqlite3)."
            ),
            id="staff_security.E001",
        )
        for username in accounts_with_published_password()
    ]
