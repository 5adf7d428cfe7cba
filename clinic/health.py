"""`/healthz` for load balancers and monitoring, and `/.well-known/security.txt` (RFC 9116).

The health report names each check and its state and nothing else: no hostnames, versions,
paths, keys or error messages (those go to the log, with the request id).
"""

import datetime
import logging
import time
import uuid

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from clinic.cache_backends import strict_cache

logger = logging.getLogger(__name__)
# A READY task older than this means the worker is not draining the outbox.
OUTBOX_LAG_LIMIT_SECONDS = 300


def check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health: database check failed")
        return {"ok": False}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def check_cache() -> dict:
    started = time.perf_counter()
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache = strict_cache("default")
        cache.set(key, "1", 10)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception:  # any backend error means "not healthy", and the log says which
        logger.exception("health: cache check failed")
        return {"ok": False}
    return {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1)}


def outbox_lag_seconds(*, now: datetime.datetime) -> float | None:
    """Age of the oldest task waiting to run in the durable outbox; None when there is none."""
    from django_tasks_db.models import DBTaskResult

    table = DBTaskResult._meta.db_table
    if table not in connection.introspection.table_names():
        return None
    oldest = DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    if oldest is None:
        return 0.0
    return max(0.0, (now - oldest).total_seconds())


def check_outbox() -> dict:
    try:
        lag = outbox_lag_seconds(now=timezone.now())
    except DatabaseError:
        logger.exception("health: outbox check failed")
        return {"ok": False}
    if lag is None:
        return {"ok": True, "lag_seconds": None}
    return {"ok": lag <= OUTBOX_LAG_LIMIT_SECONDS, "lag_seconds": round(lag, 1)}


@never_cache
def healthz(request):
    checks = {"database": check_database(), "cache": check_cache()}
    checks["outbox"] = check_outbox() if checks["database"]["ok"] else {"ok": False}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)


def security_txt(request):
    from pages.models import ClinicSettings

    contact = settings.SECURITY_CONTACT
    if not contact:
        email = ClinicSettings.for_request(request).email
        contact = f"mailto:{email}" if email else ""
    elif "@" in contact and not contact.startswith(("mailto:", "https:")):
        contact = f"mailto:{contact}"
    # RFC 9116 wants an Expires no more than a year ahead; computing it per request keeps it valid.
    expires = (timezone.now() + datetime.timedelta(days=365)).replace(microsecond=0)
    lines = []
    if contact:
        lines.append(f"Contact: {contact}")
    lines.append(f"Expires: {expires.astimezone(datetime.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}")
    if settings.SECURITY_POLICY_URL:
        lines.append(f"Policy: {settings.SECURITY_POLICY_URL}")
    lines.append(f"Canonical: {request.build_absolute_uri('/.well-known/security.txt')}")
    lines.append("Preferred-Languages: en")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
