"""The development admin account that `make run` creates, and finding it where it must not be.

Its password is published in the README, so any database served with DEBUG off must not hold an
active account that still accepts it (see checks.py).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password

USERNAME = "admin"
EMAIL = "admin@clinic.example"
# Published for local development only; ensure_dev_admin refuses to run without DEBUG.
PASSWORD = "clinic-dev-admin"  # noqa: S105  # nosec B105


def accounts_with_published_password() -> list[str]:
    """Usernames of active accounts whose password is the published development one."""
    found = []
    for username, encoded in get_user_model().objects.filter(is_active=True).values_list("username", "password"):
        # hashers.check_password without a setter: a check must never rewrite a stored hash.
        if encoded and check_password(PASSWORD, encoded):
            found.append(username)
    return found
