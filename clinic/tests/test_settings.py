"""Production settings, as a deploy would load them, in a fresh interpreter."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENT = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "clinic.example,www.clinic.example",
    "CSRF_TRUSTED_ORIGINS": "https://clinic.example",
    "SITE_URL": "https://clinic.example",
    "EMAIL_HOST": "smtp.clinic.example",
}


def run(args: list[str], tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in DEPLOYMENT and not k.startswith(("SECURE_", "DJANGO_"))}
    clean.pop("DATABASE_URL", None)
    clean.pop("REDIS_URL", None)
    clean.update({"DJANGO_SETTINGS_MODULE": "clinic.settings.production", "SQLITE_PATH": str(tmp_path / "db.sqlite3")})
    clean.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def setting(name: str, tmp_path, **env):
    code = f"import django; django.setup(); from django.conf import settings; print(repr(settings.{name}))"
    result = run(["-c", code], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip())  # noqa: S307 - repr of a setting we just printed


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run(["manage.py", "check"], tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_deployment_values(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **DEPLOYMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_https_settings_are_on_by_default_in_production(tmp_path):
    assert setting("SECURE_SSL_REDIRECT", tmp_path, **DEPLOYMENT) is True
    assert setting("SECURE_HSTS_SECONDS", tmp_path, **DEPLOYMENT) >= 31536000
    assert setting("SESSION_COOKIE_SECURE", tmp_path, **DEPLOYMENT) is True
    assert setting("CSRF_COOKIE_SECURE", tmp_path, **DEPLOYMENT) is True
    assert setting("DEBUG", tmp_path, **DEPLOYMENT) is False
    assert setting("ALLOWED_HOSTS", tmp_path, **DEPLOYMENT) == ["clinic.example", "www.clinic.example"]


def test_production_reads_database_and_redis_from_the_environment(tmp_path):
    env = {**DEPLOYMENT, "DATABASE_URL": "postgres://u:p@db.internal:5432/clinic", "REDIS_URL": "redis://r:6379/3"}
    database = setting("DATABASES['default']", tmp_path, **env)
    assert (database["ENGINE"], database["HOST"], database["NAME"]) == (
        "django.db.backends.postgresql",
        "db.internal",
        "clinic",
    )
    caches = setting("CACHES", tmp_path, **env)
    assert caches["default"]["LOCATION"] == caches["pages"]["LOCATION"] == "redis://r:6379/3"
    assert setting("SESSION_ENGINE", tmp_path, **env) == "django.contrib.sessions.backends.cache"


def test_without_redis_all_workers_share_one_page_cache(tmp_path):
    caches = setting("CACHES", tmp_path, **DEPLOYMENT, PAGE_CACHE_DIR=str(tmp_path / "pages"))
    assert caches["pages"] == {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(tmp_path / "pages"),
    }


def test_make_serve_turns_https_settings_off_explicitly(tmp_path):
    script = (ROOT / "scripts" / "serve.sh").read_text()
    for line in (
        'export SECURE_SSL_REDIRECT="${SECURE_SSL_REDIRECT:-0}"',
        'export SECURE_HSTS_SECONDS="${SECURE_HSTS_SECONDS:-0}"',
        'export SECURE_COOKIES="${SECURE_COOKIES:-0}"',
        "export DJANGO_SETTINGS_MODULE=clinic.settings.production",
    ):
        assert line in script
    loopback = {**DEPLOYMENT, "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0", "SECURE_COOKIES": "0"}
    assert setting("SECURE_SSL_REDIRECT", tmp_path, **loopback) is False
    assert setting("SECURE_HSTS_SECONDS", tmp_path, **loopback) == 0
    assert setting("SESSION_COOKIE_SECURE", tmp_path, **loopback) is False
