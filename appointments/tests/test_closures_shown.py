"""Coming closures show on the public booking pages and beside the opening hours."""

import datetime as dt

import pytest

from appointments.models import Closure

from .conftest import SLOT  # noqa: F401  (the clinic fixture's week)

pytestmark = pytest.mark.usefixtures("frozen")


def test_booking_pages_list_coming_closures(client, clinic):
    Closure.objects.create(first_day=dt.date(2027, 1, 1), last_day=dt.date(2027, 1, 3), reason="Ended")
    Closure.objects.create(first_day=dt.date(2027, 1, 13), last_day=dt.date(2027, 1, 13), reason="Training")
    Closure.objects.create(first_day=dt.date(2027, 2, 15), last_day=dt.date(2027, 2, 19), reason="Half term")
    Closure.objects.create(first_day=dt.date(2027, 9, 1), last_day=dt.date(2027, 9, 2), reason="Past the horizon")
    text = client.get("/appointments/").content.decode()
    assert "The clinic is closed</h2>" in text
    assert "Wednesday 13 January 2027 (Training)" in text
    assert "Monday 15 February 2027 – Friday 19 February 2027 (Half term)" in text
    assert "Ended" not in text and "Past the horizon" not in text


def test_opening_hours_list_coming_closures_and_a_new_one_shows_at_once(client, clinic, demo_content):
    page = client.get("/sciatica/")
    assert page.status_code == 200 and "opening-hours__closures" not in page.content.decode()
    Closure.objects.create(first_day=dt.date(2027, 1, 13), last_day=dt.date(2027, 1, 14), reason="Training")
    text = client.get("/sciatica/").content.decode()  # the stored page was purged by the save
    assert 'id="footer-hours"' in text and "Wed 13 Jan 2027 – Thu 14 Jan 2027 (Training)" in text
    Closure.objects.all().delete()
    assert "Training" not in client.get("/sciatica/").content.decode()
