"""Playwright journeys through the members area (patient and staff), with axe on every view.

Screenshots go to $SCREENSHOT_DIR when set (docs/screenshots in the repository), else to tmp.
"""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from clinic.testing import ensure_wagtail_tree
from conftest import DESKTOP, PHONE, axe_violations
from members import passwords

# serialized_rollback: the flush after a transactional test would also remove the rows the
# migrations create (the Wagtail root page and collection) that the next test needs.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ARTICLE = "/members/preventing-recurrence/"


@pytest.fixture
def site(live_server, settings):
    settings.MEMBERS_ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    passwords._hasher.cache_clear()
    ensure_wagtail_tree()
    call_command("load_demo_content", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return live_server.url


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def current_password() -> str:
    from django.utils import timezone

    return passwords.decrypt(passwords.current(now=timezone.now()).password_encrypted)


def check_axe_at_both_widths(page, name: str, shots: Path) -> None:
    for label, viewport in (("360", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(viewport)
        assert axe_violations(page) == [], f"{name} at {label}px"
        page.screenshot(path=str(shots / f"members-{name}-{label}.png"), full_page=True)


def test_patient_journey(site, browser_page, shots):
    page = browser_page
    response = page.goto(site + ARTICLE)
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Members area"
    assert "Principles for preventing recurrence" not in page.content()
    check_axe_at_both_widths(page, "gate", shots)

    page.get_by_label("Members password or personal pass code").fill("wrong-words-here-00")
    page.get_by_role("button", name="Enter the members area").click()
    alert = page.get_by_role("alert")
    assert "did not work" in alert.inner_text()
    assert page.get_by_label("Members password or personal pass code").get_attribute("aria-invalid") == "true"
    check_axe_at_both_widths(page, "gate-error", shots)

    page.get_by_label("Members password or personal pass code").fill(current_password().replace("-", " ").upper())
    page.get_by_role("button", name="Enter the members area").click()
    page.wait_for_url(site + ARTICLE)
    assert page.get_by_role("heading", level=1).inner_text() == "Principles for preventing recurrence"
    assert page.get_by_role("heading", name="Important Notes").is_visible()
    check_axe_at_both_widths(page, "article", shots)

    page.get_by_role("link", name="Members area").last.click()
    assert page.get_by_role("link", name="Clinical relevance of Toldt’s fascia").is_visible()
    page.get_by_role("button", name="Leave members area").click()
    assert page.get_by_role("heading", level=1).inner_text() == "You have left the members area"
    assert page.goto(site + ARTICLE).status == 403


def test_staff_journey_rotate_and_print_card(site, browser_page, shots):
    user = User.objects.create_user("reception-desk", password="a-long-staff-password-1")  # noqa: S106
    user.groups.add(Group.objects.get(name="Reception"))
    old = current_password()
    page = browser_page
    page.goto(site + "/admin/login/")
    page.get_by_label("Username").fill("reception-desk")
    page.get_by_label("Password").fill("a-long-staff-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Members access").first.click()
    page.wait_for_url(site + "/admin/members-access/")
    assert page.locator(".members-admin__password").inner_text() == old
    page.screenshot(path=str(shots / "members-staff-screen.png"), full_page=True)
    # On a phone the password wraps; its lines must not overlap (Wagtail's line height is fixed in px).
    page.set_viewport_size(PHONE)
    font_size, line_height = page.locator(".members-admin__password").evaluate(
        "e => [parseFloat(getComputedStyle(e).fontSize), parseFloat(getComputedStyle(e).lineHeight)]"
    )
    assert line_height >= font_size, (font_size, line_height)
    page.screenshot(path=str(shots / "members-staff-screen-360.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    page.get_by_label("Keep the old password working for").select_option("0")
    page.get_by_role("button", name="Rotate now").click()  # without confirmation: refused
    assert page.locator(".members-admin__password").inner_text() == old
    page.get_by_label("Yes, make a new password now").check()
    page.get_by_role("button", name="Rotate now").click()
    new = page.locator(".members-admin__password").inner_text()
    assert new != old and new == current_password()

    page.goto(site + "/admin/members-access/card/")
    assert page.locator(".card__secret").inner_text() == new
    assert page.locator(".card__qr svg").is_visible()
    page.screenshot(path=str(shots / "members-card.png"), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(shots / "members-card-print.png"))
    box = page.locator(".card").bounding_box()
    assert 300 < box["width"] < 340 and 190 < box["height"] < 220  # 85 x 55 mm at 96 dpi


@pytest.fixture
def fast_site(live_server, settings):
    """The live server's app wrapped as clinic/wsgi.py wraps Django: the members fast path in front."""
    from django.db import connections
    from django.test.testcases import LiveServerThread

    from caching.members_replay import MembersFastPath
    from clinic.tests.wsgi_client import Counting

    settings.MEMBERS_ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    passwords._hasher.cache_clear()
    ensure_wagtail_tree()
    call_command("load_demo_content", stdout=open(os.devnull, "w"))  # noqa: SIM115
    shared = {conn.alias: conn for conn in connections.all() if conn.vendor == "sqlite" and conn.is_in_memory_db()}
    for conn in shared.values():
        conn.inc_thread_sharing()
    made = []

    def wrap(app):
        made.append(MembersFastPath(Counting(app)))
        return made[-1]

    thread = LiveServerThread("127.0.0.1", wrap, shared, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}", made[0]
    thread.terminate()
    for conn in shared.values():
        conn.dec_thread_sharing()


def test_chromium_reads_replayed_members_pages_and_leaves_with_their_token(fast_site, browser_page, shots):
    site, fast = fast_site
    page = browser_page
    assert page.goto(site + ARTICLE).status == 403
    page.get_by_label("Members password or personal pass code").fill(current_password())
    page.get_by_role("button", name="Enter the members area").click()
    page.wait_for_url(site + ARTICLE)
    page.reload()  # from the stored copy, which the fast path remembers
    calls = fast.app.calls
    response = page.reload()
    assert fast.app.calls == calls, "the reload did not come from the fast path"
    assert response.status == 200 and response.headers["content-encoding"] == "gzip"  # Chromium asks for gzip
    assert page.get_by_role("heading", level=1).inner_text() == "Principles for preventing recurrence"
    assert page.get_by_role("heading", name="Important Notes").is_visible()
    check_axe_at_both_widths(page, "article-fast-path", shots)
    page.get_by_role("button", name="Leave members area").click()  # the token the fast path masked
    assert page.get_by_role("heading", level=1).inner_text() == "You have left the members area"
    assert page.goto(site + ARTICLE).status == 403


def test_staff_issue_a_pass_with_the_default_date_and_revoke_it(site, browser_page, shots):
    user = User.objects.create_user("reception-passes", password="a-long-staff-password-1")  # noqa: S106
    user.groups.add(Group.objects.get(name="Reception"))
    page = browser_page
    page.set_viewport_size(DESKTOP)
    page.goto(site + "/admin/login/")
    page.get_by_label("Username").fill("reception-passes")
    page.get_by_label("Password").fill("a-long-staff-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.goto(site + "/admin/members-access/")
    assert page.get_by_label("Valid until (inclusive)").input_value()  # the 90-day default is shown
    page.get_by_label("Label or chart number").fill("Chart 1042")
    page.get_by_role("button", name="Issue pass and print card").click()
    page.wait_for_url(site + "/admin/members-access/passes/*/card/")
    assert "Chart 1042" in page.locator(".card__label").inner_text()
    page.goto(site + "/admin/members-access/")
    page.get_by_role("link", name="Revoke pass Chart 1042").click()
    page.wait_for_url(site + "/admin/members-access/passes/*/revoke/")
    assert "Revoke the pass for Chart 1042?" in page.locator("main").inner_text()
    page.screenshot(path=str(shots / "members-revoke-confirm.png"), full_page=True)
    page.get_by_role("button", name="Yes, revoke this pass").click()
    page.wait_for_url(site + "/admin/members-access/")
    assert "No active passes." in page.content()
