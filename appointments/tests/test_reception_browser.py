"""Reception (not a superuser) in Chromium: the start page panel, the day grid and day sheet, a move
to a free time of another practitioner, a move that warns first, and the undo of a cancel. axe finds
nothing on these pages at 360 and 1280 px."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from appointments import booking
from appointments.availability import clinic_zone, find_slots
from appointments.models import Appointment, Service
from conftest import DESKTOP, PHONE, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("RECEPTION_SHOTS", "")) if os.environ.get("RECEPTION_SHOTS") else None


def check(page, label):
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(600)  # Wagtail's messages fade in; axe must not measure them half-drawn
        violations = axe_violations(page)
        assert violations == [], f"{label} at {viewport['width']}px: {violations}"
        # On a phone nothing but the grid's own box may scroll sideways.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{label} is {width}px wide at {viewport['width']}px"
        if SHOTS:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{label}-{viewport['width']}.png"), full_page=True)


@pytest.fixture
def desk(live_server, wagtail_tree, demo_content, browser_page):
    User.objects.create_user("reception", "r@example.org", "a-long-password-123").groups.add(
        Group.objects.get(name="Reception")
    )
    page = browser_page
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "reception")
    page.fill("#id_password", "a-long-password-123")
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return page


def a_free_slot(slug="demo-practitioner-a", days_ahead=4, service="initial-evaluation"):
    service = Service.objects.get(slug=service)
    first = timezone.localdate() + dt.timedelta(days=days_ahead)
    return next(s for s in find_slots(service=service, first_day=first) if s.practitioner == slug)


def book(slot, name="Pat Patient", service="initial-evaluation"):
    return booking.book(
        service=service,
        practitioner=slot.practitioner,
        start=slot.start,
        name=name,
        email="pat@example.org",
        consent=True,
    )


def test_start_page_panel_shows_requests_and_patient_changes(desk, live_server):
    follow_up = Service.objects.get(slug="follow-up-session")
    follow_up.confirmation = Service.Confirmation.REQUEST
    follow_up.save()
    request = book(a_free_slot(service="follow-up-session"), "Robin Request", "follow-up-session").appointment
    cancelled = book(a_free_slot("demo-practitioner-b"), "Casey Cancel")
    booking.change_status(appointment=cancelled.appointment, action="cancel", by_patient=True)
    page = desk
    page.goto(live_server.url + "/admin/")
    panel = page.locator(".reception-panel")
    assert re.search(r"(Today at the clinic|Next open day): \w+day \d+ \w+ \d{4}", panel.locator("h2").inner_text())
    panel.get_by_role("heading", name="1 request waiting for confirmation").wait_for()
    assert "Casey Cancel" in panel.inner_text() and "cancelled" in panel.inner_text()
    check(page, "start-page")
    panel.get_by_role("link", name=re.compile("Robin Request")).click()
    page.get_by_role("heading", name=f"Appointment {request.reference}").wait_for()
    page.go_back()
    panel.get_by_role("link", name="Open the day").click()
    page.locator(".appointments-grid").wait_for()
    check(page, "day-grid")


def test_day_grid_free_gap_links_and_day_sheet(desk, live_server):
    slot = a_free_slot()
    booked = book(slot).appointment
    day = slot.start.astimezone(clinic_zone()).date()
    page = desk
    page.goto(live_server.url + f"/admin/appointments/calendar/?view=day&date={day.isoformat()}")
    grid = page.locator(".appointments-grid")
    grid.get_by_role("link", name=re.compile("Pat Patient")).wait_for()
    book_link = grid.get_by_role("link", name=re.compile(r"^Book Initial evaluation with Sam Sample")).first
    href = book_link.get_attribute("href")
    # The link goes to desk-book's form (not followed here: that view lives on another branch).
    assert href.startswith("/admin/appointments/book/?service=initial-evaluation&practitioner=demo-practitioner-b")
    check(page, "day-grid-booked")
    page.get_by_role("link", name=re.compile("Day sheet Alex Example")).click()
    page.get_by_role("heading", name=re.compile(r"Alex Example \(demo practitioner\): ")).wait_for()
    assert booked.name in page.locator("tbody").inner_text()
    check(page, "day-sheet")
    page.emulate_media(media="print")
    assert not page.locator("nav.no-print").is_visible()
    page.emulate_media(media="screen")


def test_move_to_a_free_time_of_another_practitioner(desk, live_server):
    slot = a_free_slot()
    appointment = book(slot).appointment
    page = desk
    page.goto(live_server.url + f"/admin/appointments/{appointment.pk}/")
    next_day = slot.start.astimezone(clinic_zone()).date() + dt.timedelta(days=1)
    while next_day.weekday() >= 5:
        next_day += dt.timedelta(days=1)
    page.get_by_label("Free times on").fill(next_day.isoformat())
    page.get_by_role("button", name="Show free times").click()
    page.get_by_label("11:00 with Sam Sample (demo practitioner)").check()
    check(page, "move-free-times")
    page.get_by_role("button", name="Move to the chosen time").click()
    page.get_by_text("Appointment moved; the patient has been emailed.").wait_for()
    appointment.refresh_from_db()
    local = appointment.start.astimezone(clinic_zone())
    assert appointment.practitioner.slug == "demo-practitioner-b"
    assert (local.date(), local.hour, local.minute) == (next_day, 11, 0)
    # A typed time outside the practitioner's hours is named before anything happens.
    page.get_by_text("Another time (outside the free times)").click()
    page.get_by_label("New start").fill(f"{next_day.isoformat()}T07:00")
    page.get_by_role("button", name="Move", exact=True).click()
    page.get_by_role("alert").get_by_text("outside Sam Sample (demo practitioner)'s working hours").wait_for()
    check(page, "move-warning")
    appointment.refresh_from_db()
    assert appointment.start.astimezone(clinic_zone()).hour == 11
    page.get_by_role("button", name="Move anyway and email the patient").click()
    page.get_by_text("Appointment moved; the patient has been emailed.").wait_for()
    appointment.refresh_from_db()
    assert appointment.start.astimezone(clinic_zone()).hour == 7


def test_undo_a_cancel(desk, live_server):
    appointment = book(a_free_slot()).appointment
    page = desk
    page.goto(live_server.url + f"/admin/appointments/{appointment.pk}/")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    page.get_by_role("button", name="Undo cancel").wait_for()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    check(page, "undo-cancel")
    page.get_by_role("button", name="Undo cancel").click()
    page.get_by_text("Cancel undone: the appointment is back and the patient has been emailed.").wait_for()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED


def test_find_a_patient_by_phone(desk, live_server):
    appointment = booking.book(
        service="initial-evaluation",
        practitioner=a_free_slot().practitioner,
        start=a_free_slot().start,
        name="Marian Example",
        email="marian@example.org",
        phone="07700 900123",
        consent=True,
    ).appointment
    page = desk
    page.goto(live_server.url + "/admin/appointments/patient-data/")
    page.get_by_label("Name, phone or email").fill("07700-900-123")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("heading", name="1 patient found").wait_for()
    assert "?" not in page.url  # posted: nothing of the patient in the address
    check(page, "patient-search")
    page.get_by_role("button", name="Open Marian Example").click()
    page.get_by_role("link", name=appointment.reference).wait_for()
    assert "Confirmed" in page.locator("table.listing tbody").first.inner_text()
    check(page, "patient-bookings")


def test_practitioner_step_and_closures_on_public_pages(live_server, wagtail_tree, demo_content, browser_page):
    from appointments.models import Closure

    first = timezone.localdate() + dt.timedelta(days=10)
    Closure.objects.create(first_day=first, last_day=first + dt.timedelta(days=2), reason="Training")
    page = browser_page
    page.goto(live_server.url + "/appointments/?service=initial-evaluation")
    page.get_by_role("heading", name="Who would you like to see for Initial evaluation?").wait_for()
    page.get_by_role("heading", name="The clinic is closed").wait_for()
    check(page, "public-practitioner-step")
    page.goto(live_server.url + "/sciatica/")
    assert "(Training)" in page.locator("footer").inner_text()
    check(page, "public-footer-closures")


def test_an_administrator_sets_up_a_practitioner_with_services_and_no_slug(
    live_server, wagtail_tree, demo_content, browser_page
):
    from appointments.models import Practitioner

    User.objects.create_superuser("admin", "a@example.org", "a-long-password-123")
    page = browser_page
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "a-long-password-123")
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(live_server.url + "/admin/snippets/appointments/practitioner/add/")
    page.locator("#id_name").fill("Jo Bloggs")
    page.get_by_label("Follow-up session").check()
    if SHOTS:
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            page.screenshot(path=str(SHOTS / f"practitioner-add-{viewport['width']}.png"), full_page=True)
    page.get_by_role("button", name="Save").first.click()
    page.wait_for_url(re.compile(r"/admin/snippets/appointments/practitioner/$"))
    jo = Practitioner.objects.get(name="Jo Bloggs")
    assert jo.slug == "jo-bloggs" and [s.slug for s in jo.services.all()] == ["follow-up-session"]


def test_week_of_everyone_and_a_phone_only_patients_data(desk, live_server):
    """The week with All practitioners is a grid per practitioner; a patient booked by phone (no email)
    opens from the patient search."""
    from appointments import series

    slot = a_free_slot()
    series.book_one(
        service="initial-evaluation",
        practitioner=slot.practitioner,
        start=slot.start,
        name="Jo Phone",
        phone="020 7946 0999",
    )
    day = slot.start.astimezone(clinic_zone()).date()
    page = desk
    page.goto(live_server.url + f"/admin/appointments/calendar/?date={day.isoformat()}")
    headings = page.get_by_role("heading", name=re.compile("^Week of ")).all_inner_texts()
    assert headings == ["Week of Alex Example (demo practitioner)", "Week of Sam Sample (demo practitioner)"], headings
    page.locator(".appointments-grid").first.get_by_role("link", name=re.compile("Jo Phone")).wait_for()
    check(page, "week-everyone")
    page.goto(live_server.url + "/admin/appointments/patient-data/")
    page.get_by_label("Name, phone or email").fill("020-7946-0999")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Open Jo Phone").click()
    page.get_by_role("heading", name="1 booking").wait_for()
    assert "no email address" in page.locator("main").inner_text()
    check(page, "patient-phone-only")


def test_the_waitlist_of_a_day_for_reception_passes_axe_and_fits_a_phone(desk, live_server):
    from appointments import waitlist

    day = timezone.localdate() + dt.timedelta(days=5)
    waitlist.join(
        service=Service.objects.get(slug="initial-evaluation"),
        practitioner=None,
        days=[day],
        name="Kim Waiting",
        email="kim@example.org",
        consent=True,
    )
    desk.goto(live_server.url + f"/admin/appointments/waitlist/?date={day.isoformat()}")
    assert desk.get_by_text("Kim Waiting").first.is_visible()
    check(desk, "waitlist-day")
