"""Logging: plain or JSON lines, each with the request id."""

import os

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Task start/finish lines for every search-index update drown out real messages.
        "django_tasks": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Structured logs: LOG_FORMAT=json (production default) or plain; both carry the request id.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING["filters"] = {"request_id": {"()": "clinic.logging.RequestIdFilter"}}
LOGGING["formatters"]["plain"]["format"] = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
LOGGING["formatters"]["json"] = {"()": "clinic.logging.JsonFormatter"}
LOGGING["handlers"]["console"]["filters"] = ["request_id"]
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_FORMAT == "json" else "plain"
