"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

The request id comes from the trusted reverse proxy (nginx sets `X-Request-ID` to its own
`$request_id`, so the proxy's access log and ours join on it) or is generated here; it goes
back to the client on the response so a patient or staff member can quote it.
"""

import contextvars
import json
import logging
import re
import secrets
import time

from django.conf import settings

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# Long enough for a UUID or nginx's 32 hex digits; nothing that could smuggle a newline or quote.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


def choose_request_id(*, offered: str | None, trust_proxy: bool) -> str:
    """The proxy's id when we sit behind one we trust and it looks sane, else a fresh one."""
    if trust_proxy and offered and _SAFE_REQUEST_ID.match(offered):
        return offered
    return secrets.token_hex(16)  # 32 hex digits, like a UUID's hex; cheaper than uuid4 per request


class RequestIdMiddleware:
    """Outermost middleware: every log line written while handling the request carries its id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = choose_request_id(
            offered=request.META.get("HTTP_X_REQUEST_ID"),
            trust_proxy=settings.TRUSTED_PROXY_COUNT > 0,
        )
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            return response
        finally:
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on every record, so plain and JSON formats can both show it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


# Attributes every LogRecord has; anything else was passed with `extra=` and is worth keeping.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}
# Django attaches these to request/security log records; they are objects, not data, and the
# request would also put cookies and headers into the log.
_DROPPED_EXTRAS = {"request", "server_time", "status_code"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", _request_id.get()),
        }
        status = getattr(record, "status_code", None)
        if status is not None:
            payload["status"] = status
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in _DROPPED_EXTRAS and not key.startswith("_"):
                payload[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)
