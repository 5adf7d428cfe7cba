"""Fixtures for the members tests: cheap argon2, a granted client, staff users."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission, User

from members import passwords

# Used by time_machine in the tests: a fixed, unambiguous moment (UTC).
T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _cheap_argon2(settings):
    """argon2 with its production cost makes each check ~50 ms; tests need the logic, not the cost."""
    settings.MEMBERS_ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    passwords._hasher.cache_clear()
    yield
    passwords._hasher.cache_clear()


def plain(row) -> str:
    return passwords.decrypt(row.password_encrypted)


def enter(client, secret: str, next_url: str = "/members/", **extra):
    return client.post("/members/-/enter/", {"secret": secret, "next": next_url}, **extra)


@pytest.fixture
def members(demo_content):
    """The demo content (home, sciatica, members area and its five articles)."""
    from members.models import MembersArticlePage

    return MembersArticlePage.objects.live().order_by("path")


@pytest.fixture
def reception_user(db):
    user = User.objects.create_user("reception", password="not-used-here-123")  # noqa: S106
    user.groups.add(Group.objects.get(name="Reception"))
    return user


@pytest.fixture
def editor_user(db):
    """Can edit pages in the admin but has none of the members permissions."""
    user = User.objects.create_user("editor", password="not-used-here-123")  # noqa: S106
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return user
