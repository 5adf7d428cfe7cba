"""In Chromium: a refused online booking says the cap and the clinic's phone number; axe at 360 and 1280 px."""

import os
from pathlib import Path

import pytest
from wagtail.models import Site

from appointments.models import BookingSettings
from conftest import DESKTOP, PHONE, axe_violations
from pages.models import ClinicSettings
from throttling.limits import Limit

from .test_patient_flow_browser import a_free_slot, reach_check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_hourly_cap_refusal_names_the_cap_and_the_phone_number(
    live_server, wagtail_tree, demo_content, browser_page, shots
):
    site = Site.objects.get(is_default_site=True)
    policy = BookingSettings.for_site(site)
    policy.online_bookings_per_hour = 1
    policy.save()
    phone = ClinicSettings.for_site(site).phone or "020 7946 0000"
    clinic = ClinicSettings.for_site(site)
    clinic.phone = phone
    clinic.save()
    Limit("online-bookings", limit=1, seconds=3600).hit("127.0.0.1")  # this address booked once already
    page = browser_page
    service, slot = a_free_slot()
    reach_check_page(page, live_server.url, slot, service)
    page.get_by_role("button", name="Book appointment").click()
    alert = page.get_by_role("alert")
    text = " ".join(alert.inner_text().split())
    assert "1 online booking within an hour" in text and f"please phone the clinic on {phone}" in text
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        assert axe_violations(page) == [], f"booking refused at {viewport['width']}px"
        page.screenshot(path=str(shots / f"booking-refused-{viewport['width']}.png"), full_page=True)
