#!/usr/bin/env bash
# Run the site as production would: production settings, DEBUG off, gunicorn, whitenoise.
# On plain-HTTP loopback the HTTPS-only settings are turned off here, explicitly.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SECRET_KEY:-}" ]; then
  if [ ! -s .secret_key ]; then
    (umask 077; .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))" > .secret_key)
    echo "Generated a secret key into .secret_key (ignored by git)."
  fi
  SECRET_KEY=$(cat .secret_key)
  export SECRET_KEY
fi
export DJANGO_SETTINGS_MODULE=clinic.settings.production
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:${PORT:-8000}}"
# Plain HTTP on loopback: no redirect to HTTPS, no HSTS, cookies without the Secure flag.
export SECURE_SSL_REDIRECT="${SECURE_SSL_REDIRECT:-0}"
export SECURE_HSTS_SECONDS="${SECURE_HSTS_SECONDS:-0}"
export SECURE_COOKIES="${SECURE_COOKIES:-0}"
# No nginx in front on loopback: Django serves uploaded images (MEDIA_ROOT) itself.
export SERVE_MEDIA="${SERVE_MEDIA:-1}"
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py migrate --noinput -v0 --skip-checks
# The system checks with the database: among them, no active account may still have the published
# development password (staff_security/checks.py); the check names the fix and nothing is served.
.venv/bin/python manage.py check --database default --fail-level ERROR
.venv/bin/python manage.py load_demo_content
# The page cache holds pickled models and fragments of the previous release: start clean.
.venv/bin/python manage.py purge_page_cache
# The server was chosen by measurement (docs/benchmarks.md): granian serves the cached page about
# twice as fast as gunicorn here. SERVER=gunicorn keeps the previous one.
echo "Serving http://127.0.0.1:${PORT:-8000}/ with ${WORKERS:-2} ${SERVER:-granian} workers (production settings)"
# The server's access log is off unless ACCESS_LOG=1: it is plain text without the request id (which
# nginx's JSON access log carries in production, as does every Django log line) and it cost 13-63% of
# the cached page's keep-alive throughput here (docs/benchmarks.md, "Reading section 2").
if [ "${SERVER:-granian}" = "granian" ]; then
  access_log=--no-access-log
  if [ "${ACCESS_LOG:-0}" = "1" ]; then access_log=--access-log; fi
  exec .venv/bin/granian --interface wsgi --host 127.0.0.1 --port "${PORT:-8000}" \
    --workers "${WORKERS:-2}" --blocking-threads 4 --no-ws --respawn-failed-workers \
    "$access_log" clinic.wsgi:application
fi
access_log=()
if [ "${ACCESS_LOG:-0}" = "1" ]; then access_log=(--access-logfile -); fi
exec .venv/bin/gunicorn clinic.wsgi:application \
  --bind "127.0.0.1:${PORT:-8000}" --workers "${WORKERS:-2}" "${access_log[@]}" \
  --error-logfile - --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
