"""The published development login (`admin` / `clinic-dev-admin`) never reaches a served database."""

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from staff_security.checks import published_development_password
from staff_security.dev_account import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_the_check_names_each_active_account_with_the_published_password(settings):
    settings.DEBUG = False
    users = get_user_model().objects
    users.create_superuser("admin", "admin@clinic.example", PASSWORD)
    users.create_user("copycat", password=PASSWORD)
    users.create_user("retired", password=PASSWORD, is_active=False)
    users.create_user("careful", password="a different long password")
    errors = published_development_password(databases=["default"])
    assert [error.id for error in errors] == ["staff_security.E001"] * 2
    assert "'admin'" in errors[0].msg and "published development password" in errors[0].msg
    assert "'copycat'" in errors[1].msg
    assert "manage.py changepassword admin" in errors[0].hint
    # Without a database named (plain `check`), or in development, it reads nothing and passes.
    assert published_development_password(databases=None) == []
    settings.DEBUG = True
    assert published_development_password(databases=["default"]) == []


@pytest.mark.django_db
def test_the_check_leaves_the_stored_hash_alone(settings):
    settings.DEBUG = False
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    user = get_user_model().objects.create_user("old", password="x")
    user.password = "md5$salt$" + hashlib.md5(f"salt{PASSWORD}".encode()).hexdigest()  # noqa: S324
    user.save()
    assert len(published_development_password(databases=["default"])) == 1
    user.refresh_from_db()
    assert user.password.startswith("md5$")  # not upgraded behind the operator's back


@pytest.mark.django_db
def test_ensure_dev_admin_still_creates_the_development_login(settings):
    settings.DEBUG = True
    call_command("ensure_dev_admin", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert get_user_model().objects.get(username="admin").check_password(PASSWORD)


def test_make_serve_and_the_systemd_unit_run_the_database_checks_before_serving():
    serve = (ROOT / "scripts" / "serve.sh").read_text()
    check = serve.index("manage.py check --database default --fail-level ERROR")
    assert check < serve.index("exec .venv/bin/granian") and check > serve.index("manage.py migrate")
    unit = (ROOT / "deploy" / "systemd" / "clinic-web.service").read_text()
    pre = re.search(r"^ExecStartPre=.*manage\.py check .*$", unit, re.MULTILINE).group(0)
    assert "--database default" in pre and unit.index(pre) < unit.index("ExecStart=")


def test_make_run_keeps_its_own_database_and_its_admin_needs_no_second_factor():
    """Development settings default to var/dev.sqlite3; production (make serve) to db.sqlite3. The
    development admin signs in with the printed password alone (no enrolment code needed there)."""
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.DATABASES['default']['NAME'], s.STAFF_2FA_REQUIRED)"

    def database(module: str) -> str:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH", "STAFF_2FA_REQUIRED"}}
        env.update(DJANGO_SETTINGS_MODULE=module, SECRET_KEY="x" * 50)
        result = subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert database("clinic.settings.dev") == f"{ROOT / 'var' / 'dev.sqlite3'} False"
    assert database("clinic.settings.production") == f"{ROOT / 'db.sqlite3'} True"


def test_production_settings_refuse_a_database_with_the_development_login(tmp_path):
    """The real command serve.sh runs, on a migrated database, before and after the fix it names."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="clinic.settings.production",
        SECRET_KEY="k" * 50,
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        PAGE_CACHE_DIR=str(tmp_path / "pages"),
        SESSION_CACHE_DIR=str(tmp_path / "sessions"),
    )

    def manage(*args):
        return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )

    assert manage("migrate", "-v0").returncode == 0
    create = "from django.contrib.auth.models import User; "
    create += f"User.objects.create_superuser('admin', 'a@b.c', {PASSWORD!r})"
    assert manage("shell", "-c", create).returncode == 0
    refused = manage("check", "--database", "default", "--fail-level", "ERROR")
    assert refused.returncode != 0
    assert "staff_security.E001" in refused.stderr and "published development password" in refused.stderr
    assert "changepassword admin" in refused.stderr and "Traceback" not in refused.stderr
    change = "from django.contrib.auth.models import User; u = User.objects.get(username='admin'); "
    change += "u.set_password('a new and private passphrase'); u.save()"
    assert manage("shell", "-c", change).returncode == 0
    assert manage("check", "--database", "default", "--fail-level", "ERROR").returncode == 0


@pytest.mark.django_db
def test_a_running_server_without_debug_refuses_the_published_password_at_sign_in(client, settings):
    # Found by the attack review: the start-up check ran once, but an account given the published
    # password afterwards (changepassword, a database copied in) could still sign in with it.
    settings.DEBUG = False
    get_user_model().objects.create_superuser("admin", "admin@clinic.example", PASSWORD)
    response = client.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_development_still_signs_in_with_the_published_password(client, settings):
    settings.DEBUG = True
    get_user_model().objects.create_superuser("admin", "admin@clinic.example", PASSWORD)
    response = client.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
