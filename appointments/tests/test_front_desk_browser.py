"""The front desk in Chromium, signed in as Reception (not a superuser): a phone booking without
email and its slip, a 6-week course with one week taken and re-picked, and book next visit.
axe finds nothing on the form, the course re-pick, the appointment page and the slip at 360 and 1280 px."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from appointments import series
from appointments.availability import clinic_zone
from appointments.models import Appointment
from conftest import DESKTOP, PHONE, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PRACTITIONER = "demo-practitioner-a"


def check_axe(page, label, shots):
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        # Wagtail's messages fade in: axe would measure the contrast of a half-transparent banner.
        for _ in range(50):
            if page.evaluate("() => document.getAnimations().every(a => a.playState !== 'running')"):
                break
            page.wait_for_timeout(100)
        violations = axe_violations(page)
        assert violations == [], f"{label} at {viewport['width']}px: {violations}"
        # The admin scrolls inside its main column: grow the window to the content to capture all of it.
        height = page.evaluate("() => Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))")
        page.set_viewport_size({"width": viewport["width"], "height": min(height, 6000)})
        page.screenshot(path=str(shots / f"{label}-{viewport['width']}.png"), full_page=True)
        page.set_viewport_size(viewport)


@pytest.fixture
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("front-desk-screens")


@pytest.fixture
def desk(live_server, wagtail_tree, demo_content, browser_page):
    user = User.objects.create_user("front-desk", password="a-long-staff-password-1")  # noqa: S106
    user.groups.add(Group.objects.get(name="Reception"))
    page = browser_page
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("front-desk")
    page.get_by_label("Password").fill("a-long-staff-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return page


def next_tuesday(weeks_ahead: int = 1) -> dt.date:
    today = timezone.localdate(timezone=clinic_zone())
    return today + dt.timedelta(days=(1 - today.weekday()) % 7 + 7 * weeks_ahead)


def choose_day(page, day: dt.date):
    page.get_by_label("Service", exact=True).select_option("follow-up-session")
    page.get_by_label("Practitioner", exact=True).select_option(PRACTITIONER)
    page.get_by_label("Day", exact=True).fill(day.isoformat())
    page.get_by_role("button", name="Show free times").click()
    page.get_by_role("heading", name=re.compile("Free times on")).wait_for()


def test_reception_books_a_phone_patient_without_email_and_prints_the_slip(live_server, desk, shots):
    page = desk
    page.goto(live_server.url + "/admin/appointments/calendar/")
    page.get_by_role("link", name="Book for a patient").click()
    page.wait_for_url(re.compile(r"/admin/appointments/book/"))
    day = next_tuesday()
    choose_day(page, day)
    check_axe(page, "1-book-form", shots)
    page.get_by_label("11:00", exact=True).check()
    page.get_by_label("Patient's name").fill("Phone Patient")
    page.get_by_label("Phone", exact=True).fill("020 7946 0002")
    page.get_by_label("Internal note (optional)").fill("Called at 9; prefers mornings.")
    page.get_by_role("button", name="Book", exact=True).click()
    page.get_by_text("No email address: print the appointment slip").wait_for()
    appointment = Appointment.objects.get()
    assert appointment.email == "" and appointment.start.astimezone(clinic_zone()).hour == 11
    check_axe(page, "2-booked-detail", shots)
    page.get_by_role("link", name="Print appointment slip").click()
    page.get_by_role("heading", name="Your appointment").wait_for()
    text = page.content()
    assert appointment.reference in text and "To change or cancel" in text and "11:00" in text
    assert "prefers mornings" not in text
    check_axe(page, "3-slip", shots)
    page.emulate_media(media="print")
    page.screenshot(path=str(shots / "3-slip-print.png"), full_page=True)
    assert not page.get_by_text("Back to the appointment").is_visible()


def test_a_six_week_course_with_one_week_taken_and_re_picked(live_server, desk, shots):
    page = desk
    day = next_tuesday()
    tz = clinic_zone()
    taken = dt.datetime.combine(day + dt.timedelta(weeks=3), dt.time(11), tzinfo=tz)
    series.book_one(
        service="follow-up-session",
        practitioner=PRACTITIONER,
        start=taken,
        name="Someone Else",
        phone="020 7946 0009",
        email="",
    )
    page.goto(live_server.url + "/admin/appointments/book/")
    choose_day(page, day)
    page.get_by_label("11:00", exact=True).check()
    page.get_by_label("Patient's name").fill("Course Patient")
    page.get_by_label("Email address (optional)").fill("course@example.org")
    page.get_by_label("Number of sessions").fill("6")
    page.get_by_label("Repeat").select_option("1")
    page.get_by_role("button", name="Book", exact=True).click()
    page.get_by_role("heading", name="Choose another time for these sessions").wait_for()
    assert Appointment.objects.count() == 1
    check_axe(page, "4-course-repick", shots)
    week = page.get_by_role("group", name=re.compile("Session 4:"))
    assert week.get_by_role("radio").count() >= 1
    week.get_by_role("radio").first.check()
    page.get_by_role("button", name="Book", exact=True).click()
    page.get_by_role("heading", name="Session 1 of 6").wait_for()
    sessions = list(Appointment.objects.filter(email="course@example.org").order_by("start"))
    assert [s.series_number for s in sessions] == [1, 2, 3, 4, 5, 6]
    assert sessions[3].start != taken
    check_axe(page, "5-course-detail", shots)
    page.get_by_role("link", name=re.compile(r"\d+ \w+ \d{4}, 11:00")).first.click()
    page.get_by_role("heading", name="Session 2 of 6").wait_for()


def test_book_next_visit_from_the_appointment_page(live_server, desk, shots):
    page = desk
    day = next_tuesday()
    first = series.book_one(
        service="follow-up-session",
        practitioner=PRACTITIONER,
        start=dt.datetime.combine(day, dt.time(10), tzinfo=clinic_zone()),
        name="Desk Patient",
        phone="020 7946 0004",
        email="",
    ).appointment
    page.goto(live_server.url + f"/admin/appointments/{first.pk}/")
    page.get_by_role("link", name="Book next visit").click()
    assert page.get_by_label("Patient's name").input_value() == "Desk Patient"
    assert page.get_by_label("Phone", exact=True).input_value() == "020 7946 0004"
    assert page.get_by_label("Service", exact=True).input_value() == "follow-up-session"
    assert page.get_by_label("Day", exact=True).input_value() == (day + dt.timedelta(weeks=1)).isoformat()
    check_axe(page, "6-book-next-visit", shots)
    page.get_by_label("10:00", exact=True).check()
    page.get_by_role("button", name="Book", exact=True).click()
    page.get_by_text("No email address: print the appointment slip").wait_for()
    assert Appointment.objects.filter(name="Desk Patient").count() == 2
