"""In Chromium: while the site-wide limit refuses strangers, the gate says so plainly and still takes
a personal pass; the staff screen shows the limit's state. axe on the gate at 360 and 1280 px.

Screenshots go to $SCREENSHOT_DIR when set, else to tmp.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone

from clinic.testing import ensure_wagtail_tree
from conftest import DESKTOP, PHONE, axe_violations
from members import passes, passwords, throttle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ARTICLE = "/members/preventing-recurrence/"


@pytest.fixture
def site(live_server, settings):
    settings.MEMBERS_ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    settings.MEMBERS_THROTTLE = {"SITE_FAILURES": 3}
    passwords._hasher.cache_clear()
    ensure_wagtail_tree()
    call_command("load_demo_content", stdout=open(os.devnull, "w"))  # noqa: SIM115
    for i in range(3):
        throttle.record_failure(client=f"192.0.2.{i}")
    return live_server.url


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_stranger_is_told_plainly_and_a_pass_still_opens_the_gate(site, browser_page, shots):
    now = timezone.now()
    secret = passwords.decrypt(passwords.current(now=now).password_encrypted)
    _item, code = passes.issue(label="Chart 7", valid_until=now + datetime.timedelta(days=2), now=now)
    page = browser_page
    page.goto(site + ARTICLE)
    field = page.get_by_label("Members password or personal pass code")
    field.fill(secret)
    page.get_by_role("button", name="Enter the members area").click()
    alert = page.get_by_role("alert")
    assert "not because of anything you typed" in alert.inner_text()
    assert "personal pass code from reception still works" in alert.inner_text()
    for label, viewport in (("360", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(viewport)
        assert axe_violations(page) == [], f"gate paused at {label}px"
        page.screenshot(path=str(shots / f"members-gate-paused-{label}.png"), full_page=True)
    page.get_by_label("Members password or personal pass code").fill(code)
    page.get_by_role("button", name="Enter the members area").click()
    page.wait_for_url(site + ARTICLE)
    assert page.get_by_role("heading", level=1).inner_text() == "Principles for preventing recurrence"


def test_the_staff_screen_shows_the_limit_and_who_still_gets_in(site, browser_page, shots):
    user = User.objects.create_user("reception-desk", password="a-long-staff-password-1")  # noqa: S106
    user.groups.add(Group.objects.get(name="Reception"))
    page = browser_page
    page.goto(site + "/admin/login/")
    page.get_by_label("Username").fill("reception-desk")
    page.get_by_label("Password").fill("a-long-staff-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.goto(site + "/admin/members-access/")
    assert "New devices cannot enter" in page.get_by_role("alert").inner_text()
    section = page.get_by_role("region", name="Protection against password guessing")
    assert "3 of 3 allowed in 10 minutes" in section.inner_text()
    # The admin scrolls inside its own container: the section is shot on its own as well.
    for label, viewport in (("1280", DESKTOP), ("360", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(shots / f"members-staff-limit-{label}.png"), full_page=True)
        section.screenshot(path=str(shots / f"members-staff-limit-section-{label}.png"))
