"""Fixtures the cross-app drills share with the apps' own tests."""

from appointments.tests.conftest import clinic, frozen, wagtail_tree  # noqa: F401 - fixtures
from tests.test_drills import drill_db  # noqa: F401 - fixture
