"""The admin start page shows reception the day at a glance."""

import datetime as dt
import html
import re

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from appointments import booking
from appointments.models import Closure

from .conftest import SLOT, details

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def reception(client, clinic):
    user = User.objects.create_user("reception", "r@example.org", "a-long-password-123")
    user.groups.add(Group.objects.get(name="Reception"))
    client.force_login(user)
    return client


def panel(client) -> str:
    page = html.unescape(client.get("/admin/").content.decode())
    found = re.search(r'<section class="panel reception-panel".*?</section>', page, re.S)
    return re.sub(r"\s+", " ", found.group(0)) if found else ""


def book(slug, start, name="Pat Patient", service="initial-evaluation"):
    return booking.book(service=service, practitioner=slug, start=start, **details(name=name))


def test_start_page_shows_the_day_requests_and_patient_changes(reception, clinic, frozen):
    monday = SLOT - dt.timedelta(days=1)  # Monday 11 January, 10:00
    book("alex", monday)
    book("alex", monday + dt.timedelta(hours=2))
    request = book("sam", SLOT, "Robin Request", "follow-up-session")
    moved = book("sam", SLOT + dt.timedelta(days=2), "Mo Ver")
    gone = book("alex", SLOT + dt.timedelta(days=3), "Can Celled")
    staff_cancelled = book("alex", SLOT + dt.timedelta(days=7), "Staff Did")
    frozen.move_to(dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC))  # Sunday: the patients change their bookings
    later = SLOT + dt.timedelta(days=2, hours=2)
    booking.reschedule(appointment=moved.appointment, start=later, manage_token=moved.manage_token)
    booking.change_status(appointment=gone.appointment, action="cancel", by_patient=True)
    booking.change_status(appointment=staff_cancelled.appointment, action="cancel")
    frozen.move_to(dt.datetime(2027, 1, 11, 7, tzinfo=dt.UTC))  # Monday morning at the desk
    text = panel(reception)
    assert "Today at the clinic: Monday 11 January 2027" in text
    assert "Alex Example</a>: 2 appointments" in text and "Sam Sample</a>: 0 appointments" in text
    assert "1 request waiting for confirmation" in text
    assert f'href="{reverse("appointments_admin:detail", args=[request.appointment.pk])}"' in text
    assert "Tue 12 Jan 10:00 · Robin Request" in text
    assert "Mo Ver (" in text and "moved from Thu 14 Jan 10:00 to Thu 14 Jan 12:00" in text
    assert "Can Celled (" in text and "cancelled Fri 15 Jan 10:00" in text
    assert "Staff Did" not in text  # staff know what staff did
    # Two days later the changes are older than yesterday and drop off.
    frozen.move_to(dt.datetime(2027, 1, 13, 7, tzinfo=dt.UTC))
    assert "No changes by patients." in panel(reception)


def test_on_a_closed_day_the_start_page_shows_the_next_open_day(reception, clinic, frozen):
    frozen.move_to(dt.datetime(2027, 1, 9, 9, tzinfo=dt.UTC))  # Saturday
    Closure.objects.create(first_day=dt.date(2027, 1, 11), last_day=dt.date(2027, 1, 11), reason="Holiday")
    text = panel(reception)
    assert "Next open day: Tuesday 12 January 2027" in text and "The clinic is closed today." in text
    assert "?view=day&date=2027-01-12" in text


def test_the_panel_is_only_for_staff_who_see_bookings(client, clinic):
    from django.contrib.auth.models import Permission
    from wagtail.models import Page  # noqa: F401  (Wagtail admin access comes from the permission below)

    user = User.objects.create_user("editor", "e@example.org", "a-long-password-123")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    page = client.get("/admin/")
    assert page.status_code == 200 and panel(client) == ""
