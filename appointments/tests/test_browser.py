"""Journeys in Chromium: a patient books, gets the email and cancels by its link; staff confirm a request.
axe finds nothing on any booking step at 360 and 1280 px."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from appointments import booking, outbox
from appointments.models import Appointment, Service
from conftest import DESKTOP, PHONE, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check_axe(page, label, shots=None):
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        violations = axe_violations(page)
        assert violations == [], f"{label} at {viewport['width']}px: {violations}"
        if shots is not None:
            page.screenshot(path=str(shots / f"{label}-{viewport['width']}.png"), full_page=True)


@pytest.fixture
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("booking-screens")


def test_patient_books_gets_the_email_and_cancels_by_the_link(
    live_server, wagtail_tree, demo_content, browser_page, shots
):
    page = browser_page
    page.goto(live_server.url + "/appointments/")
    check_axe(page, "1-service", shots)
    page.get_by_label("Follow-up session").check()
    page.get_by_role("button", name="Continue").click()
    check_axe(page, "1-practitioner", shots)
    page.get_by_label("Anyone available").check()
    page.get_by_role("button", name="Continue").click()
    assert "/appointments/day/" in page.url
    check_axe(page, "2-day", shots)
    # Next week, so that the appointment can still be cancelled online.
    page.get_by_role("link", name="Next week").click()
    page.locator('input[name="day"]').first.check()
    page.get_by_role("button", name="Continue").click()
    assert "/appointments/time/" in page.url
    check_axe(page, "3-time", shots)
    page.locator('input[name="start"]').first.check()
    page.get_by_role("button", name="Continue").click()
    assert "/appointments/details/" in page.url
    check_axe(page, "4-details", shots)
    # A first try without consent: the error is announced and axe still finds nothing.
    page.get_by_label("Full name").fill("Pat Patient")
    page.get_by_label("Email address").fill("pat@example.org")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("alert").is_visible()
    check_axe(page, "4-details-error", shots)
    page.get_by_label("I agree that the clinic stores").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Check your answers before booking").wait_for()
    check_axe(page, "5-check", shots)
    assert Appointment.objects.count() == 0
    page.get_by_role("button", name="Book appointment").click()
    page.get_by_role("heading", name="Appointment booked").wait_for()
    check_axe(page, "6-confirmation", shots)
    appointment = Appointment.objects.get()
    assert appointment.reference in page.content()

    outbox.drain()
    patient_mail = next(m for m in mail.outbox if m.to == ["pat@example.org"])
    assert patient_mail.attachments and patient_mail.attachments[0][0] == "appointment.ics"
    link = re.search(r"https?://\S+/appointments/manage/\S+/", patient_mail.body).group(0)
    path = "/appointments/" + link.split("/appointments/", 1)[1]
    page.goto(live_server.url + path)
    check_axe(page, "7-manage", shots)
    page.get_by_role("link", name="Cancel this appointment").click()
    page.get_by_role("heading", name="Are you sure you want to cancel this appointment?").wait_for()
    check_axe(page, "8-cancel", shots)
    page.get_by_role("button", name="Yes, cancel this appointment").click()
    page.get_by_text("Your appointment is cancelled").wait_for()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


def test_a_time_taken_meanwhile_is_rebooked_without_typing_again(live_server, wagtail_tree, demo_content, browser):
    """Without JavaScript: the details are typed, someone else takes the time, the patient picks a near one."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    service = Service.objects.get(slug="initial-evaluation")
    from appointments.availability import find_slots

    slot = find_slots(service=service, first_day=timezone.localdate() + dt.timedelta(days=4))[0]
    query = f"service={service.slug}&practitioner={slot.practitioner}&start=" + slot.start.isoformat().replace(
        "+", "%2B"
    )
    page.goto(live_server.url + "/appointments/details/?" + query)
    page.get_by_label("Full name").fill("Robin Reader")
    page.get_by_label("Email address").fill("robin@example.org")
    page.get_by_label("I agree that the clinic stores").check()
    booking.book(
        service=service.slug,
        start=slot.start,
        practitioner=slot.practitioner,
        name="Other",
        email="o@example.org",
        consent=True,
    )
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("alert").get_by_text("That time was just taken").wait_for()
    assert page.get_by_label("Full name").input_value() == "Robin Reader"
    assert page.get_by_role("button").filter(has_text=re.compile("Continue|Use this time")).count() == 1
    assert page.locator('input[name="start"]:checked').count() == 0
    page.locator("#alt-2").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Check your answers before booking").wait_for()
    page.get_by_role("button", name="Book appointment").click()
    page.get_by_role("heading", name="Appointment booked").wait_for()
    assert Appointment.objects.get(email="robin@example.org").start != slot.start
    context.close()


def test_move_and_contact_pages_pass_axe(live_server, wagtail_tree, demo_content, browser_page):
    service = Service.objects.get(slug="initial-evaluation")
    from appointments.availability import find_slots

    # Far enough ahead to be changed online.
    slot = find_slots(service=service, first_day=timezone.localdate() + dt.timedelta(days=4))[0]
    booked = booking.book(
        service=service.slug,
        start=slot.start,
        practitioner=slot.practitioner,
        name="Pat",
        email="pat@example.org",
        consent=True,
    )
    page = browser_page
    page.goto(live_server.url + f"/appointments/manage/{booked.manage_token}/move/")
    check_axe(page, "move-days")
    page.locator('input[name="day"]').first.check()
    page.get_by_role("button", name="Show times").click()
    assert page.locator('input[name="start"]').count() > 0
    assert page.locator('input[name="start"]:checked').count() == 0, "no time chosen for the patient"
    check_axe(page, "move-times")
    page.goto(live_server.url + "/contact/")
    check_axe(page, "contact")
    page.get_by_role("button", name="Send message").click()
    page.get_by_role("alert").wait_for()
    check_axe(page, "contact-errors")
    # The nearest free times inside the details form, when the chosen time is gone.
    query = f"service={service.slug}&practitioner={slot.practitioner}&start=" + slot.start.isoformat().replace(
        "+", "%2B"
    )
    page.goto(live_server.url + "/appointments/details/?" + query)
    assert not page.locator("#alt-1").is_checked()
    check_axe(page, "details-taken")


def test_staff_confirm_a_request(live_server, wagtail_tree, demo_content, browser_page):
    service = Service.objects.get(slug="follow-up-session")
    service.confirmation = Service.Confirmation.REQUEST
    service.save()
    from appointments.availability import find_slots

    slot = find_slots(service=service)[0]
    request = booking.book(
        service=service.slug,
        start=slot.start,
        practitioner=slot.practitioner,
        name="Pat Patient",
        email="pat@example.org",
        consent=True,
    ).appointment
    assert request.status == Appointment.Status.PENDING
    User.objects.create_superuser("staff", "staff@example.org", "a-long-password-123")
    page = browser_page
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", "a-long-password-123")
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/admin/$"))
    date = slot.start.date().isoformat()
    page.goto(live_server.url + f"/admin/appointments/calendar/?date={date}&view=day")
    page.get_by_role("link", name=request.reference).click()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text(f"Appointment {request.reference} updated").wait_for()
    request.refresh_from_db()
    assert request.status == Appointment.Status.CONFIRMED
    outbox.drain()
    assert any("confirmed" in m.subject for m in mail.outbox if m.to == ["pat@example.org"])
