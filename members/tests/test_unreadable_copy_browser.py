"""The Members access screen when the stored copy cannot be read: the notice and Rotate now, in Chromium."""

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Group, User

from .test_browser import check_axe_at_both_widths, current_password, shots, site  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_staff_see_why_the_password_is_missing_and_rotate(site, browser_page, shots, settings):  # noqa: F811
    user = User.objects.create_user("reception-desk", password="a-long-staff-password-1")  # noqa: S106
    user.groups.add(Group.objects.get(name="Reception"))
    current_password()
    settings.MEMBERS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key is gone
    page = browser_page
    page.goto(site + "/admin/login/")
    page.get_by_label("Username").fill("reception-desk")
    page.get_by_label("Password").fill("a-long-staff-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Members access").first.click()
    page.wait_for_url(site + "/admin/members-access/")
    notice = page.get_by_role("alert").filter(has_text="cannot be read with the current keys")
    assert notice.is_visible() and "still works at the gate" in notice.inner_text()
    assert page.locator(".members-admin__password").count() == 0
    check_axe_at_both_widths(page, "staff-unreadable-copy", shots)

    page.get_by_role("link", name="Rotate now").click()
    page.get_by_label("Keep the old password working for").select_option("0")
    page.get_by_label("Yes, make a new password now").check()
    page.get_by_role("button", name="Rotate now").click()
    assert page.locator(".members-admin__password").inner_text() == current_password()
