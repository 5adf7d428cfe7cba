"""Reception (not a superuser) in Chromium: give members access from an appointment's page, see
until when and why, print the card. axe finds nothing at 360 and 1280 px. Screenshots go to
$CARE_SHOTS when set."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from appointments import booking
from appointments.availability import find_slots
from appointments.models import Service
from conftest import DESKTOP, PHONE, axe_violations
from members import passes
from members.models import PatientPass

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ["CARE_SHOTS"]) if os.environ.get("CARE_SHOTS") else None


def check(page, label, section=None):
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(600)  # Wagtail's messages fade in; axe must not measure them half-drawn
        assert axe_violations(page) == [], f"{label} at {viewport['width']}px"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{label} is {width}px wide at {viewport['width']}px"
        if SHOTS:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{label}-{viewport['width']}.png"), full_page=True)
            if section is not None:  # the admin scrolls its own content box: the page shot stops at the fold
                section.screenshot(path=str(SHOTS / f"{label}-section-{viewport['width']}.png"))


@pytest.fixture
def wagtail_tree(db):
    from clinic.testing import ensure_wagtail_tree

    ensure_wagtail_tree()


def test_reception_gives_members_access_from_an_appointment_and_prints_the_card(
    live_server, wagtail_tree, demo_content, browser_page
):
    User.objects.create_user("reception", "r@example.org", "a-long-password-123").groups.add(
        Group.objects.get(name="Reception")
    )
    service = Service.objects.get(slug="initial-evaluation")
    slot = next(iter(find_slots(service=service, first_day=timezone.localdate() + dt.timedelta(days=4))))
    appointment = booking.book(
        service=service.slug,
        practitioner=slot.practitioner,
        start=slot.start,
        name="Pat Patient",
        email="pat@example.org",
        consent=True,
    ).appointment
    page = browser_page
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "reception")
    page.fill("#id_password", "a-long-password-123")
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/admin/$"))

    page.goto(f"{live_server.url}/admin/appointments/{appointment.pk}/")
    section = page.get_by_role("region", name="Members access")
    check(page, "appointment-before", section)
    section.get_by_role("button", name="Give members access").click()
    page.get_by_text("Members access given. Print the card for the patient now.").wait_for()
    section = page.get_by_role("region", name="Members access")
    assert "Active until" in section.inner_text() and "Last confirmed visit booked" in section.inner_text()
    check(page, "appointment-given", section)

    item = PatientPass.objects.get()
    assert item.in_care and item.created_by.username == "reception"
    with page.context.expect_page() as opened:
        section.get_by_role("link", name="Print card").click()
    card = opened.value
    card.wait_for_load_state()
    text = card.locator("main").inner_text()
    assert passes.code_of(item) in text
    assert "for 90 days after each visit" in text
    check(card, "care-card")

    page.goto(live_server.url + "/admin/members-access/")
    counts = page.locator(".members-admin__counts")
    assert re.search(r"Active-patient passes \(given from an appointment\)\s*1", counts.inner_text())
    check(page, "members-access", counts)

    # The patient's only visit is cancelled: the pass ends, and the gate says so in plain words.
    booking.change_status(appointment=appointment, action="cancel")
    patient = page.context.browser.new_context(viewport=DESKTOP).new_page()
    patient.goto(live_server.url + "/members/")
    patient.fill("#id_secret", passes.code_of(item))
    patient.get_by_role("button", name="Enter the members area").click()
    patient.get_by_text("This pass has ended. Please ask at your next visit.").first.wait_for()
    check(patient, "gate-ended")
    patient.context.close()
