"""Chromium: members images in the admin preview from the private folder for permitted staff, and
an editor without members access is turned away from a members article."""

import io
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.images import ImageFile
from django.core.management import call_command
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

from clinic.testing import ensure_wagtail_tree
from conftest import DESKTOP, PHONE
from members.models import MembersArticlePage
from members.protected_media import members_collection

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-staff-password-1"  # noqa: S105 - test only


@pytest.fixture
def site(live_server):
    ensure_wagtail_tree()
    call_command("load_demo_content", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return live_server.url


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def editor(username: str, *, members_access: bool) -> User:
    """Page rights on the whole tree and image rights on every collection (as Wagtail's Editors,
    which a transactional test's flush removes)."""
    group, _ = Group.objects.get_or_create(name="Page and image editors")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.get_or_create(
            group=group, page=Page.get_first_root_node(), permission=Permission.objects.get(codename=codename)
        )
    for codename in ("add_image", "change_image", "choose_image"):
        GroupCollectionPermission.objects.get_or_create(
            group=group,
            collection=Collection.get_first_root_node(),
            permission=Permission.objects.get(content_type__app_label="wagtailimages", codename=codename),
        )
    user = User.objects.create_user(username, password=PASSWORD)
    user.groups.add(group)
    if members_access:
        user.user_permissions.add(Permission.objects.get(codename="view_members_password"))
    return user


def sign_in(page, site: str, username: str) -> None:
    page.goto(site + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site + "/admin/")


def both_widths(page, name: str, shots: Path) -> None:
    for label, viewport in (("360", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(600)  # the admin's sidebar animates to its new width
        page.screenshot(path=str(shots / f"members-{name}-{label}.png"), full_page=True)


def test_staff_with_members_access_see_the_private_preview(site, browser_page, shots):
    buffer = io.BytesIO()
    PILImage.new("RGB", (900, 500), (30, 90, 90)).save(buffer, format="PNG")
    image = get_image_model().objects.create(
        title="Members diagram",
        file=ImageFile(buffer, name="diagram.png"),
        collection=members_collection(),
    )
    editor("members-editor", members_access=True)
    page = browser_page
    sign_in(page, site, "members-editor")
    page.goto(f"{site}/admin/images/{image.pk}/")
    preview = page.locator("img.show-transparency").first
    assert "/members/-/files/renditions/" in preview.get_attribute("src")
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 800  # loaded, not a broken image
    both_widths(page, "admin-image-preview", shots)
    # The same address in a browser with no session: the gate, not the picture.
    anonymous = page.context.browser.new_page()
    response = anonymous.goto(site + preview.get_attribute("src"))
    assert response.status == 403 and "image" not in response.headers["content-type"]
    anonymous.close()


def test_an_editor_without_members_access_is_turned_away_from_a_members_article(site, browser_page, shots):
    editor("editor", members_access=False)
    article = MembersArticlePage.objects.get(slug="toldts-fascia")
    page = browser_page
    sign_in(page, site, "editor")
    page.goto(f"{site}/admin/pages/{article.pk}/edit/")
    page.wait_for_url(site + "/admin/")
    assert page.get_by_text("Sorry, you do not have permission to access this area.").is_visible()
    assert article.summary not in page.content()
    both_widths(page, "admin-article-refused", shots)
