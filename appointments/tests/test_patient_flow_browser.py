"""Issue 11 in Chromium at 360 px: however the patient presses, goes back or opens tabs, one booking."""

import datetime as dt

import pytest
from django.utils import timezone

from appointments import booking
from appointments.availability import find_slots
from appointments.models import Appointment, Service
from conftest import PHONE

from .test_browser import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE)
    yield context
    context.close()


@pytest.fixture
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("patient-flow-screens")


def a_free_slot():
    service = Service.objects.get(slug="initial-evaluation")
    # Far enough ahead to be changed online.
    return service, find_slots(service=service, first_day=timezone.localdate() + dt.timedelta(days=4))[0]


def reach_check_page(page, url, slot, service, name="Pat Patient"):
    query = f"service={service.slug}&practitioner={slot.practitioner}&start=" + slot.start.isoformat().replace(
        "+", "%2B"
    )
    page.goto(url + "/appointments/details/?" + query)
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill("pat@example.org")
    page.get_by_label("I agree that the clinic stores").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Check your answers before booking").wait_for()


def test_a_double_tap_books_once(live_server, wagtail_tree, demo_content, phone_page):
    service, slot = a_free_slot()
    page = phone_page.new_page()
    reach_check_page(page, live_server.url, slot, service)
    page.get_by_role("button", name="Book appointment").dblclick()
    page.get_by_role("heading", name="Appointment booked").wait_for()
    assert Appointment.objects.count() == 1
    assert Appointment.objects.get().reference in page.content()


def test_back_and_resubmit_and_reload_book_once(live_server, wagtail_tree, demo_content, phone_page, shots):
    service, slot = a_free_slot()
    page = phone_page.new_page()
    reach_check_page(page, live_server.url, slot, service)
    page.get_by_role("button", name="Book appointment").click()
    page.get_by_role("heading", name="Appointment booked").wait_for()
    reference = Appointment.objects.get().reference
    for _ in range(2):  # the check page, then the details form as first opened
        page.go_back()
        page.get_by_role("heading", name="Appointment booked").wait_for()
        assert reference in page.content()
        assert page.get_by_label("Full name").count() == 0, "no form that can book again"
    page.reload()
    page.get_by_role("heading", name="Appointment booked").wait_for()
    page.screenshot(path=str(shots / "back-after-booking-360.png"), full_page=True)
    assert Appointment.objects.count() == 1


def test_two_tabs_book_once_and_the_second_shows_the_booking(live_server, wagtail_tree, demo_content, phone_page):
    service, slot = a_free_slot()
    first = phone_page.new_page()
    reach_check_page(first, live_server.url, slot, service)
    second = phone_page.new_page()
    second.goto(first.url)
    first.get_by_role("button", name="Book appointment").click()
    first.get_by_role("heading", name="Appointment booked").wait_for()
    second.get_by_role("button", name="Book appointment").click()
    second.get_by_text("Nothing was booked twice").wait_for()
    assert Appointment.objects.count() == 1
    assert Appointment.objects.get().reference in second.content()


def test_a_taken_time_books_only_the_time_the_patient_picks(live_server, wagtail_tree, demo_content, phone_page, shots):
    service, slot = a_free_slot()
    page = phone_page.new_page()
    reach_check_page(page, live_server.url, slot, service)
    booking.book(
        service=service.slug,
        start=slot.start,
        practitioner=slot.practitioner,
        name="O",
        email="o@example.org",
        consent=True,
    )
    page.get_by_role("button", name="Book appointment").click()
    page.get_by_role("alert").get_by_text("That time was just taken").wait_for()
    assert page.locator('input[name="start"]:checked').count() == 0
    check_axe(page, "check-taken", shots)
    picked = page.locator("#alt-2")
    picked_value = picked.get_attribute("value")
    picked.check()
    page.get_by_role("button", name="Use this time").click()
    page.get_by_role("heading", name="Check your answers before booking").wait_for()
    picked_start = dt.datetime.fromisoformat(picked_value)
    assert f"{picked_start:%H:%M}" in page.locator(".summary-list").inner_text()
    assert Appointment.objects.filter(email="pat@example.org").count() == 0
    page.get_by_role("button", name="Book appointment").click()
    page.get_by_role("heading", name="Appointment booked").wait_for()
    assert Appointment.objects.get(email="pat@example.org").start == picked_start


def test_cancel_asks_first(live_server, wagtail_tree, demo_content, phone_page, shots):
    service, slot = a_free_slot()
    booked = booking.book(
        service=service.slug,
        start=slot.start,
        practitioner=slot.practitioner,
        name="Pat",
        email="pat@example.org",
        consent=True,
    )
    page = phone_page.new_page()
    page.goto(live_server.url + f"/appointments/manage/{booked.manage_token}/")
    page.get_by_role("link", name="Cancel this appointment").click()
    page.get_by_role("heading", name="Are you sure you want to cancel this appointment?").wait_for()
    check_axe(page, "cancel-question", shots)
    page.go_back()  # changed their mind: nothing happened
    assert Appointment.objects.get().status == Appointment.Status.CONFIRMED
    page.get_by_role("link", name="Cancel this appointment").click()
    page.get_by_role("button", name="Yes, cancel this appointment").click()
    page.get_by_text("Your appointment is cancelled").wait_for()
    assert Appointment.objects.get().status == Appointment.Status.CANCELLED


def test_day_step_and_check_page_pass_axe_and_fit_a_phone(live_server, wagtail_tree, demo_content, phone_page, shots):
    page = phone_page.new_page()
    page.goto(live_server.url + "/appointments/day/?service=initial-evaluation&practitioner=anyone")
    check_axe(page, "day-week", shots)
    page.set_viewport_size(PHONE)
    button = page.get_by_role("button", name="Continue").bounding_box()
    assert button["y"] < 1600, f"Continue at {button['y']} px"
    page.get_by_role("link", name="Next week").click()
    page.get_by_role("link", name="Previous week").wait_for()
    check_axe(page, "day-next-week", shots)
    service, slot = a_free_slot()
    reach_check_page(page, live_server.url, slot, service)
    check_axe(page, "check", shots)


def test_waitlist_offer_taken_by_the_first_of_two(live_server, wagtail_tree, demo_content, browser, shots):
    """Two patients join, a time frees up, both get the offer; the first to confirm books, the second is told."""
    import re

    from django.core import mail

    from appointments import outbox

    service, slot = a_free_slot()
    day = timezone.localtime(slot.start).date()
    week = day - dt.timedelta(days=day.weekday())
    booked = booking.book(
        service=service.slug,
        start=slot.start,
        practitioner=slot.practitioner,
        name="Held",
        email="held@example.org",
        consent=True,
    )
    contexts = [browser.new_context(viewport=PHONE) for _ in range(2)]
    pages = [c.new_page() for c in contexts]
    for number, page in enumerate(pages):
        page.goto(live_server.url + f"/appointments/waitlist/?service={service.slug}&practitioner=anyone&week={week}")
        if number == 0:
            check_axe(page, "waitlist-join", shots)
        page.get_by_label(timezone.localtime(slot.start).strftime("%A %-d %B")).check()
        page.get_by_label("Full name").fill(f"Patient {number}")
        page.get_by_label("Email address").fill(f"p{number}@example.org")
        page.get_by_label("I agree that the clinic stores").check()
        page.get_by_role("button", name="Join the waitlist").click()
        page.get_by_role("heading", name="You are on the waitlist").wait_for()
    check_axe(pages[0], "waitlist-joined", shots)
    booking.change_status(appointment=booked.appointment, action="cancel")
    outbox.drain()
    links = {
        m.to[0]: re.search(r"https?://\S+(/appointments/waitlist/offer/\S+/)", m.body).group(1)
        for m in mail.outbox
        if "A time has come free" in m.subject
    }
    assert set(links) == {"p0@example.org", "p1@example.org"}
    for email, page in zip(("p0@example.org", "p1@example.org"), pages, strict=True):
        page.goto(live_server.url + links[email])
        page.get_by_role("heading", name="A time has come free").wait_for()
    check_axe(pages[0], "waitlist-offer", shots)
    pages[0].get_by_role("button", name="Book this time").click()
    pages[0].get_by_role("heading", name="Appointment booked").wait_for()
    pages[1].get_by_role("button", name="Book this time").click()
    pages[1].get_by_role("heading", name="This time has gone").wait_for()
    check_axe(pages[1], "waitlist-gone", shots)
    outbox.drain()  # and told by email, without having to open the link
    assert [m.to for m in mail.outbox if "has gone" in m.subject] == [["p1@example.org"]]
    assert Appointment.objects.get(start=slot.start, status=Appointment.Status.CONFIRMED).email == "p0@example.org"
    # The second patient leaves the list by the link in their first email.
    joined = next(m for m in mail.outbox if m.to == ["p1@example.org"] and "on the waitlist" in m.subject)
    leave = re.search(r"https?://\S+(/appointments/waitlist/leave/\S+/)", joined.body).group(1)
    pages[1].goto(live_server.url + leave)
    pages[1].get_by_role("heading", name="Leave the waitlist?").wait_for()
    check_axe(pages[1], "waitlist-leave", shots)
    pages[1].get_by_role("button", name="Leave the waitlist").click()
    pages[1].get_by_role("heading", name="You have left the waitlist").wait_for()
    check_axe(pages[1], "waitlist-left", shots)
    for context in contexts:
        context.close()
