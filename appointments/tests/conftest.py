"""A small clinic set-up for booking tests: two practitioners, two services, weekday hours, London time."""

import datetime as dt

import pytest
import time_machine

from appointments.models import BookingSettings, Practitioner, Service, WorkingHours

# A Monday morning in winter (GMT = UTC), well before the booking day used in the tests.
NOW = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)
# Tuesday 12 January 2027, 10:00 GMT: on the grid, past the notice and inside the horizon.
SLOT = dt.datetime(2027, 1, 12, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def wagtail_tree(db):
    """The root page and default site that a transactional test's flush may have removed."""
    from clinic.testing import ensure_wagtail_tree

    ensure_wagtail_tree()


@pytest.fixture
def clinic(wagtail_tree):
    from wagtail.models import Site

    from pages.models import ClinicSettings

    site = Site.objects.get(is_default_site=True)
    clinic_settings = ClinicSettings.for_site(site)
    clinic_settings.time_zone = "Europe/London"
    clinic_settings.email = "reception@clinic.example"
    clinic_settings.save()
    policy = BookingSettings.for_site(site)
    policy.save()
    a = Practitioner.objects.create(name="Alex Example", slug="alex")
    b = Practitioner.objects.create(name="Sam Sample", slug="sam")
    for practitioner in (a, b):
        for weekday in range(5):
            WorkingHours.objects.create(practitioner=practitioner, weekday=weekday, starts=dt.time(9), ends=dt.time(17))
    initial = Service.objects.create(
        name="Initial evaluation", slug="initial-evaluation", duration_minutes=60, buffer_minutes=15
    )
    follow_up = Service.objects.create(
        name="Follow-up session",
        slug="follow-up-session",
        duration_minutes=45,
        buffer_minutes=15,
        confirmation=Service.Confirmation.REQUEST,
    )
    initial.practitioners.set([a, b])
    follow_up.practitioners.set([a, b])
    return {"site": site, "a": a, "b": b, "initial": initial, "follow_up": follow_up, "policy": policy}


def details(**overrides):
    values = {
        "name": "Pat Patient",
        "email": "pat@example.org",
        "phone": "+44 20 7946 0001",
        "message": "Back pain since Monday.",
        "consent": True,
    }
    values.update(overrides)
    return values
