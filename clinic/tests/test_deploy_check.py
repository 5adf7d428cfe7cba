"""`manage.py check --deploy` is clean with production settings and deployment values."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_check(extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECURE_", "DJANGO_", "STAFF_2FA", "BEHIND_TLS"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "clinic.settings.production",
            "SECRET_KEY": "k3P9-vQ2xL7mN4rT8wZ1yB6cF5hJ0gD3sA9eU2iO7pK4lM8nR1tV6qX5zC0bW3",
            "ALLOWED_HOSTS": "clinic.example",
            "BEHIND_TLS_PROXY": "1",
            **extra_env,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_defaults():
    result = run_check({})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_notices_https_settings_turned_off():
    result = run_check({"SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0", "SECURE_COOKIES": "0"})
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr  # HSTS
    assert "security.W012" in result.stdout + result.stderr  # session cookie not secure


def test_production_security_headers(client, demo_content, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    response = client.get("/sciatica/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"

    login = client.get("/admin/login/", secure=True)
    cookie = login.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["secure"] and cookie["samesite"] == "Lax"
