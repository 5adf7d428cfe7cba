"""Tasks (the email outbox) and email."""

import os

from .env import env_bool, env_list

# Tasks: Wagtail's own work (cache purges, search index) runs immediately; patient
# mail goes through the durable "outbox" backend that a worker drains.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "outbox": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]},
}

# Email
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
# Date headers in the clinic's zone with its real offset; UTC would be written "-0000", "zone unknown".
EMAIL_USE_LOCALTIME = True
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "clinic@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Clinic admin", addr) for addr in env_list("ADMIN_EMAILS")]
