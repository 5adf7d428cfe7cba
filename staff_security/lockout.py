"""Staff sign-in lockouts (django-axes): per account and address, and per account from anywhere.

axes counts failures per (username, address) only, so guessing one account's password from many
addresses was never stopped. StaffLoginHandler adds a second, hourly bound per username across
all addresses (AXES_USERNAME_FAILURE_LIMIT). Locking an account from anywhere lets a stranger who
knows a username pause it for the cool-off; an administrator can lift it at once (Settings →
Staff sign-in), and that is the price of not letting a password be guessed at scale.
"""

import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def _since() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)


def username_failures(username: str) -> int:
    """Failed sign-ins for this username within the cool-off window, from every address."""
    total = AccessAttempt.objects.filter(username=username, attempt_time__gte=_since()).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return total or 0


def locked_usernames() -> set[str]:
    """Usernames with a lockout still running: from one address, or from anywhere."""
    attempts = AccessAttempt.objects.filter(attempt_time__gte=_since())
    per_address = attempts.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    locked = set(per_address.values_list("username", flat=True))
    totals = attempts.values("username").annotate(total=Sum("failures_since_start"))
    locked |= {row["username"] for row in totals if row["total"] >= settings.AXES_USERNAME_FAILURE_LIMIT}
    return locked


class StaffLoginHandler(AxesDatabaseHandler):
    """axes' database handler, plus the per-username bound across addresses."""

    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        username = get_client_username(request, credentials)
        if username and username_failures(username) >= settings.AXES_USERNAME_FAILURE_LIMIT:
            # axes locks when failures reach its one limit: report at least that much.
            return max(failures, get_failure_limit(request, credentials))
        return failures
