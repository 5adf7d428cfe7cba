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
        page.wait_for_timeout(500)  # the admin's sidebar collapses on resize, with a transition
        page.screenshot(path=str(Path(folder) / f"{name}-360.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def sign_in(page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_an_administrator_issues_a_code_and_the_new_colleague_enrols_with_it(
    django_db_serialized_rollback, transactional_db, live_server, browser, settings
):
    ensure_wagtail_tree()
    settings.STAFF_2FA_REQUIRED = True
    boss = get_user_model().objects.create_superuser("boss", "boss@clinic.example", "boss-password-123")
    TOTPDevice.objects.create(user=boss, name="phone", confirmed=True)
    user = get_user_model().objects.create_superuser("editor", "editor@clinic.example", PASSWORD)

    # The administrator, signed in with their own second factor, issues the code.
    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = admin_context.new_page()
    sign_in(admin, live_server.url, "boss", "boss-password-123")
    admin.wait_for_url("**/admin/2fa/verify/**")
    admin.fill("input[name=token]", code_for(TOTPDevice.objects.get(user=boss)))
    admin.click("main form:not([action]) button[type=submit]")
    admin.wait_for_url(f"{live_server.url}/admin/")
    admin.goto(f"{live_server.url}/admin/staff-sign-in/")
    assert axe_violations(admin) == []
    shoot(admin, "staff-sign-in-list")
    admin.click("text=Issue enrolment code for editor")
    assert axe_violations(admin) == []
    shoot(admin, "staff-issue-code-question")
    admin.click("button:has-text('Issue the code')")
    code = admin.locator("code.staff-enrolment-code").inner_text().strip()
    assert axe_violations(admin) == []
    shoot(admin, "staff-enrolment-code")
    admin_context.close()

    # The colleague: password, then the code, then the authenticator app.
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "editor", PASSWORD)
    page.wait_for_url("**/admin/2fa/enrol/**")
    assert page.locator("main#main > h1").inner_text() == "Set up two-factor authentication"
    assert page.locator("img[src$='qr.svg']").count() == 0
    assert axe_violations(page) == []
    shoot(page, "staff-2fa-enrol-code")

    page.fill("input[name=enrolment_code]", "AAAA-BBBB-CCCC-DDDD")
    with page.expect_navigation():
        page.click("main form:not([action]) button[type=submit]")
    assert page.locator("#enrolment-code-error").is_visible()
    assert page.locator("input[name=enrolment_code]").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []

    page.fill("input[name=enrolment_code]", code.lower())
    with page.expect_navigation():
        page.click("main form:not([action]) button[type=submit]")
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
    page.close()
