"""Reception's day grid, a practitioner's week, "Today" on a closed day, the day sheet and their query counts."""

import datetime as dt
import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments import booking
from appointments.models import Appointment, Closure, TimeOff

from .conftest import SLOT, details

pytestmark = pytest.mark.usefixtures("frozen")
CALENDAR = "/admin/appointments/calendar/"


@pytest.fixture
def reception(client, clinic):
    user = User.objects.create_user("reception", "r@example.org", "a-long-password-123")
    user.groups.add(Group.objects.get(name="Reception"))
    client.force_login(user)
    return client


def cells(page: str) -> list[str]:
    grid = re.search(r'<table class="appointments-grid">.*?</table>', page, re.S).group(0)
    return re.findall(r"<td[^>]*>.*?</td>", grid, re.S)


def test_day_grid_has_a_column_per_practitioner_and_bookable_free_gaps(reception, clinic):
    appointment = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details()).appointment
    page = reception.get(CALENDAR, {"date": "2027-01-12", "view": "day", "service": "follow-up-session"})
    text = page.content.decode()
    assert page.status_code == 200
    head = re.search(r"<thead>(.*?)</thead>", text, re.S).group(1)
    assert head.index("Alex Example") < head.index("Sam Sample")
    # 60 minutes on a 15-minute grid: one cell over four rows, opening the appointment.
    booked = re.search(r'<td rowspan="(\d+)" class="grid-booked">(.*?)</td>', text, re.S)
    assert booked.group(1) == "4" and f'href="/admin/appointments/{appointment.pk}/"' in booked.group(2)
    assert "10:00–11:00 Pat Patient" in booked.group(2) and appointment.reference in booked.group(2)
    rows = re.findall(r'<tr><th scope="row">(\d\d:\d\d)</th>', text)
    assert rows[0] == "09:00" and rows[-1] == "16:45"
    links = [html.unescape(h) for h in re.findall(r'<a href="([^"]*/admin/appointments/book/\?[^"]*)"', text)]
    queries = [parse_qs(urlsplit(link).query) for link in links]
    starts = {(q["practitioner"][0], q["start"][0]) for q in queries}
    assert all(q["service"] == ["follow-up-session"] for q in queries)
    assert ("sam", "2027-01-12T10:00:00+00:00") in starts  # Sam is free then
    assert ("alex", "2027-01-12T10:00:00+00:00") not in starts  # Alex is booked
    # The follow-up (45 min + 15 buffer) must end its buffer before Alex's 10:00 start.
    assert ("alex", "2027-01-12T09:00:00+00:00") in starts and ("alex", "2027-01-12T09:15:00+00:00") not in starts
    assert ("alex", "2027-01-12T11:15:00+00:00") in starts  # after 11:00 + the 15-minute buffer
    assert 'aria-label="Book Follow-up session with Sam Sample on Tuesday 12 January at 10:00"' in text
    # A free row the service no longer fits in still shows as free, without a link.
    assert any("Free" in c and "href" not in c for c in cells(text))


def test_time_off_closures_and_cancelled_appointments_on_the_grid(reception, clinic):
    cancelled = booking.book(service="initial-evaluation", practitioner="sam", start=SLOT, **details()).appointment
    booking.change_status(appointment=cancelled, action="cancel")
    TimeOff.objects.create(
        practitioner=clinic["a"],
        starts_at=dt.datetime(2027, 1, 12, 13, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 1, 12, 14, tzinfo=dt.UTC),
    )
    text = reception.get(CALENDAR, {"date": "2027-01-12", "view": "day"}).content.decode()
    assert sum("Time off" in c for c in cells(text)) == 4
    assert "grid-booked" not in text  # a cancelled booking frees its time...
    listed = re.search(r"Cancelled, declined or expired</h2>\s*<ul>(.*?)</ul>", text, re.S).group(1)
    assert f"/admin/appointments/{cancelled.pk}/" in listed  # ...and stays one click away (for an undo)
    Closure.objects.create(first_day=dt.date(2027, 1, 13), last_day=dt.date(2027, 1, 13), reason="Training")
    closed = reception.get(CALENDAR, {"date": "2027-01-13", "view": "day"}).content.decode()
    assert "Clinic closed: 13 January 2027 (Training)" in closed
    # The page's own "Book for a patient" button stays; no cell of a closed day offers a time.
    assert all("Closed" in c and "/admin/appointments/book/" not in c for c in cells(closed))


def test_today_on_a_closed_day_shows_the_next_open_day(reception, clinic, frozen):
    frozen.move_to(dt.datetime(2027, 1, 9, 9, tzinfo=dt.UTC))  # a Saturday: nobody works
    text = reception.get(CALENDAR, {"view": "day"}).content.decode()
    assert "The clinic is closed today (Saturday 9 January): this is the next open day." in text
    assert "Monday 11 January 2027" in text
    Closure.objects.create(first_day=dt.date(2027, 1, 11), last_day=dt.date(2027, 1, 12), reason="Holiday")
    assert "Wednesday 13 January 2027" in reception.get(CALENDAR, {"view": "day"}).content.decode()
    # An explicit date is shown as asked, closed or not.
    asked = reception.get(CALENDAR, {"view": "day", "date": "2027-01-09"}).content.decode()
    assert "Saturday 9 January 2027" in asked and "closed today" not in asked


def test_a_practitioners_week_is_a_grid_with_a_column_per_day(reception, clinic):
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    text = reception.get(CALENDAR, {"date": "2027-01-12", "practitioner": "alex"}).content.decode()
    head = re.search(r"<thead>(.*?)</thead>", text, re.S).group(1)
    assert [re.sub(r"<.*", "", h) for h in re.findall(r'<th scope="col">(.*?)</th>', head)] == [
        "Time",
        "Mon 11",
        "Tue 12",
        "Wed 13",
        "Thu 14",
        "Fri 15",
        "Sat 16",
        "Sun 17",
    ]
    assert "Week of Alex Example" in text and "10:00–11:00 Pat Patient" in text
    assert "Sam Sample</a>" not in text


def test_the_week_of_all_practitioners_is_a_grid_per_practitioner(reception, clinic):
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    everyone = reception.get(CALENDAR, {"date": "2027-01-12", "service": "initial-evaluation"}).content.decode()
    tables = re.findall(
        r'<h2 id="(grid-heading-\d)">(.*?)</h2>.*?(<table class="appointments-grid">.*?</table>)', everyone, re.S
    )
    assert [(h, title) for h, title, _table in tables] == [
        ("grid-heading-1", "Week of Alex Example"),
        ("grid-heading-2", "Week of Sam Sample"),
    ]
    alex, sam = (table for _h, _title, table in tables)
    for table in (alex, sam):
        head = re.search(r"<thead>(.*?)</thead>", table, re.S).group(1)
        assert re.findall(r'<th scope="col">(\w+ \d+)<br>', head) == [
            f"{d} {n}" for d, n in zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), range(11, 18), strict=True)
        ]
    assert "10:00–11:00 Pat Patient" in alex and "Pat Patient" not in sam
    # Free gaps are bookable from each practitioner's own grid, with their name.
    assert "practitioner=sam&amp;start=2027-01-12T10%3A00%3A00%2B00%3A00" in sam
    assert 'aria-label="Book Initial evaluation with Sam Sample on Tuesday 12 January at 10:00"' in sam
    assert "practitioner=alex&amp;start=2027-01-12T10%3A00" not in alex


def test_day_sheet_lists_one_practitioners_day_for_print(reception, clinic):
    kept = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details()).appointment
    gone = booking.book(
        service="initial-evaluation", practitioner="alex", start=SLOT + dt.timedelta(hours=3), **details(name="Gone")
    ).appointment
    booking.change_status(appointment=gone, action="cancel")
    booking.book(service="initial-evaluation", practitioner="sam", start=SLOT, **details(name="Other Patient"))
    url = reverse("appointments_admin:day_sheet")
    text = reception.get(url, {"date": "2027-01-12", "practitioner": "alex"}).content.decode()
    assert "<h1>Alex Example: Tuesday 12 January 2027</h1>" in text
    row = re.search(r"<tbody>(.*?)</tbody>", text, re.S).group(1)
    assert "10:00–11:00" in row and kept.name in row and "+44 20 7946 0001" in row and "Confirmed" in row
    assert "Gone" not in text and "Other Patient" not in text
    css = (Path(__file__).parents[1] / "static/appointments/day_sheet.css").read_text()
    assert "appointments/day_sheet.css" in text and "@media print" in css and ".no-print { display: none; }" in css
    grid = reception.get(CALENDAR, {"date": "2027-01-12", "view": "day"}).content.decode()
    assert f'{url}?date=2027-01-12&amp;practitioner=alex"' in grid


def _count(client, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(CALENDAR, params).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "params",
    [{"date": "2027-01-12", "view": "day"}, {"date": "2027-01-12", "practitioner": "alex"}, {"date": "2027-01-12"}],
    ids=["day", "week", "week-everyone"],
)
def test_day_and_week_views_make_the_same_number_of_queries_whatever_the_data(reception, clinic, params):
    reception.get(CALENDAR, params)  # the session and settings caches warm up
    empty = _count(reception, params)
    for day in range(11, 16):
        for hour in (9, 11, 13, 15):
            for slug in ("alex", "sam"):
                start = dt.datetime(2027, 1, day, hour, tzinfo=dt.UTC)
                booked = booking.book(service="initial-evaluation", practitioner=slug, start=start, **details())
                if hour == 15:
                    booking.change_status(appointment=booked.appointment, action="cancel")
        TimeOff.objects.create(
            practitioner=clinic["a"],
            starts_at=dt.datetime(2027, 1, day, 12, tzinfo=dt.UTC),
            ends_at=dt.datetime(2027, 1, day, 13, tzinfo=dt.UTC),
        )
    Closure.objects.create(first_day=dt.date(2027, 1, 16), last_day=dt.date(2027, 1, 17))
    assert Appointment.objects.count() == 40
    full = _count(reception, params)
    # Session, user, permissions and settings included; the data adds none.
    assert full == empty <= 26, (empty, full)


def test_a_course_shows_which_session_it_is_on_the_grid_and_the_day_sheet(reception, clinic):
    from appointments import series

    starts = [SLOT + dt.timedelta(weeks=w) for w in range(3)]
    series.book_series(
        service="initial-evaluation", practitioner="alex", starts=starts, name="Course Patient", phone="0207946000"
    )
    booking.book(service="initial-evaluation", practitioner="sam", start=SLOT, **details(name="One Off"))
    day = reception.get(CALENDAR, {"date": "2027-01-19", "view": "day"}).content.decode()
    (booked,) = [c for c in cells(day) if "Course Patient" in c]
    assert "Initial evaluation (session 2 of 3)" in booked
    week = reception.get(CALENDAR, {"date": "2027-01-12", "practitioner": "alex"}).content.decode()
    assert "Initial evaluation (session 1 of 3)" in week
    single = reception.get(CALENDAR, {"date": "2027-01-12", "view": "day"}).content.decode()
    (one_off,) = [c for c in cells(single) if "One Off" in c]
    assert "Initial evaluation ·" in one_off and "(session" not in one_off
    sheet = reception.get(reverse("appointments_admin:day_sheet"), {"date": "2027-01-26", "practitioner": "alex"})
    assert "Initial evaluation (session 3 of 3)" in sheet.content.decode()
