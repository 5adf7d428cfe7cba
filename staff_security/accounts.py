"""Who may help whom at Settings → Staff sign-in, and finding an account by name for the commands."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def may_manage_sign_in(actor) -> bool:
    """Administrators (superusers) and user administrators (who may change accounts in Settings → Users)."""
    return actor.is_active and (actor.is_superuser or actor.has_perm("auth.change_user"))


def may_help(actor, account) -> bool:
    """A user administrator may not act on a superuser: that would let them take over a higher account."""
    return may_manage_sign_in(actor) and (actor.is_superuser or not account.is_superuser)


def account_named(username: str):
    user_model = get_user_model()
    try:
        return user_model.objects.get(**{user_model.USERNAME_FIELD: username})
    except user_model.DoesNotExist as error:
        raise CommandError(f"No user named {username!r}.") from error
