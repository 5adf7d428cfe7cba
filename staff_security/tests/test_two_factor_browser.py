"""The Wagtail sign-in followed by the two-factor steps, in Chromium, checked with axe."""

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.testing import ensure_wagtail_tree
from conftest import PHONE, axe_violations
from staff_security.tests.test_two_factor import PASSWORD, code_for

pytestmark = pytest.mark.browser


def shoot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}-1280.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(Path(folder) / f"{name}-360.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def test_sign_in_then_enrol_then_the_admin(
    django_db_serialized_rollback, transactional_db, live_server, browser_page, settings
):
    ensure_wagtail_tree()
    settings.STAFF_2FA_REQUIRED = True
    user = get_user_model().objects.create_superuser("editor", "editor@clinic.example", PASSWORD)
    page = browser_page
    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", "editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/2fa/enrol/**")
    assert page.locator("main#main > h1").inner_text() == "Set up two-factor authentication"
    assert page.locator("img[src$='qr.svg']").evaluate("img => img.naturalWidth") > 0
    assert axe_violations(page) == []
    shoot(page, "staff-2fa-enrol")

    page.fill("input[name=token]", "000000")
    with page.expect_navigation():
        page.click("main form:not([action]) button[type=submit]")
    assert page.locator("#token-error").is_visible()
    assert page.locator("input[name=token]").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []

    device = TOTPDevice.objects.get(user=user)
    page.wait_for_timeout(2100)  # django-otp's back-off after the wrong code
    page.fill("input[name=token]", code_for(device))
    page.click("main form:not([action]) button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    assert TOTPDevice.objects.get(user=user).confirmed
