"""Members pages and files in the Wagtail admin need members access as well as page or file rights."""

import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.test import Client, RequestFactory
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from members.models import MembersArticlePage
from members.protected_media import members_collection
from pages.models import ConditionPage

SECRET_SUMMARY = "Summary only members and permitted staff may read"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (300, 200), (30, 90, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def wagtail_editor(username: str, *, members_access: bool) -> User:
    """A member of Wagtail's Editors group: page rights on the whole tree, image and document rights."""
    user = User.objects.create_user(username, password="not-used-here-123")  # noqa: S106
    user.groups.add(Group.objects.get(name="Editors"))
    if members_access:
        user.user_permissions.add(Permission.objects.get(codename="view_members_password"))
    return user


@pytest.fixture
def article(members):
    page = MembersArticlePage.objects.get(slug="toldts-fascia")
    page.summary = SECRET_SUMMARY
    page.save_revision()  # a draft, newer than the live page
    return page


@pytest.fixture
def members_files(members):
    image = get_image_model().objects.create(
        title="Members-only diagram title",
        file=ImageFile(io.BytesIO(png_bytes()), name="diagram.png"),
        collection=members_collection(),
    )
    document = get_document_model().objects.create(
        title="Members-only handout title",
        file=ContentFile(b"%PDF-1.4 members handout", name="handout.pdf"),
        collection=members_collection(),
    )
    image.refresh_from_db()
    document.refresh_from_db()
    return image, document


def admin_urls(page) -> list[str]:
    revision = page.latest_revision
    first = page.revisions.order_by("created_at", "id").first()
    return [
        f"/admin/pages/{page.pk}/edit/",
        f"/admin/pages/{page.pk}/view_draft/",
        f"/admin/pages/{page.pk}/edit/preview/",
        f"/admin/pages/{page.pk}/revisions/{revision.pk}/view/",
        f"/admin/pages/{page.pk}/revisions/{revision.pk}/revert/",
        f"/admin/pages/{page.pk}/revisions/compare/{first.pk}...{revision.pk}/",
        f"/admin/pages/{page.pk}/copy/",
    ]


def body_of(response) -> str:
    return b"".join(getattr(response, "streaming_content", [response.content])).decode(errors="replace")


@pytest.mark.django_db
def test_page_rights_alone_open_no_members_page_in_the_admin(client, article):
    client.force_login(wagtail_editor("editor", members_access=False))
    for url in admin_urls(article):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert SECRET_SUMMARY not in body_of(response), url
    # Saving an edit is refused too, and changes nothing.
    response = client.post(f"/admin/pages/{article.pk}/edit/", {"title": "Changed", "slug": article.slug})
    assert response.status_code in (302, 403)
    assert MembersArticlePage.objects.get(pk=article.pk).title != "Changed"
    # The admin API the page explorer reads gives titles at most.
    api = client.get(f"/admin/api/main/pages/{article.pk}/")
    assert SECRET_SUMMARY not in api.text
    # The listing offers no edit link for it.
    listing = client.get(f"/admin/pages/{article.get_parent().pk}/")
    assert f"/admin/pages/{article.pk}/edit/" not in listing.text


@pytest.mark.django_db
def test_the_same_editor_still_edits_public_pages(client, article):
    client.force_login(wagtail_editor("editor", members_access=False))
    sciatica = ConditionPage.objects.get(slug="sciatica")
    assert client.get(f"/admin/pages/{sciatica.pk}/edit/").status_code == 200


@pytest.mark.django_db
def test_editors_with_members_access_edit_preview_and_read_drafts(client, article):
    client.force_login(wagtail_editor("members-editor", members_access=True))
    edit = client.get(f"/admin/pages/{article.pk}/edit/")
    assert edit.status_code == 200 and SECRET_SUMMARY in edit.text
    draft = client.get(f"/admin/pages/{article.pk}/view_draft/")
    assert draft.status_code == 200 and SECRET_SUMMARY in draft.text


@pytest.mark.django_db
def test_every_preview_of_a_members_page_needs_members_access(article):
    """A moderator reviewing a workflow task previews through the same method."""
    request = RequestFactory().get("/")
    request.user = wagtail_editor("moderator", members_access=False)
    with pytest.raises(PermissionDenied):
        article.serve_preview(request, article.default_preview_mode)


@pytest.mark.django_db
def test_members_files_are_hidden_from_staff_without_members_access(client, members_files):
    image, document = members_files
    client.force_login(wagtail_editor("editor", members_access=False))
    for url in (
        "/admin/images/",
        "/admin/images/chooser/",
        "/admin/documents/",
        "/admin/documents/chooser/",
        "/admin/api/main/images/",
        "/admin/api/main/documents/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert image.title not in response.text and document.title not in response.text, url
        assert image.file.name not in response.text and document.file.name not in response.text, url
    for url in (
        f"/admin/images/{image.pk}/",
        f"/admin/images/{image.pk}/preview/fill-100x100/",
        f"/admin/documents/edit/{document.pk}/",
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert image.file.name not in body_of(response) and document.file.name not in body_of(response), url
    # The files themselves: the serve view and the private file address refuse them.
    assert client.get(document.url).status_code == 403
    assert client.get(image.file.url).status_code == 403
    # Nor can they upload into the members collection.
    add = client.get("/admin/images/multiple/add/")
    assert f'value="{members_collection().pk}"' not in add.text


@pytest.mark.django_db
def test_staff_with_members_access_see_members_files_and_their_previews(client, members_files, settings):
    image, document = members_files
    client.force_login(wagtail_editor("members-editor", members_access=True))
    listing = client.get("/admin/images/")
    assert image.title in listing.text
    edit = client.get(f"/admin/images/{image.pk}/")
    assert edit.status_code == 200
    previews = {rendition.filter_spec: rendition.url for rendition in image.renditions.all()}
    assert {"max-165x165", "max-800x600", "original"} <= set(previews)  # listing thumbnail, edit preview
    assert previews["max-800x600"] in edit.text
    for url in previews.values():
        assert url.startswith("/members/-/files/renditions/")
        assert client.get(url).status_code == 200
        assert Client().get(url).status_code == 403
    assert not any((settings.MEDIA_ROOT / "images").glob(f"{image.file.name.split('/')[-1][:32]}*"))
    assert document.title in client.get("/admin/documents/").text
    assert image.title in client.get("/admin/api/main/images/").text
    assert document.title in client.get("/admin/api/main/documents/").text
    assert client.get(document.url).status_code == 200


@pytest.mark.django_db
def test_searching_files_without_members_access_finds_public_files_and_hides_members_ones(client, members_files):
    # Found by the attack review: every search box of the image and document library and choosers
    # answered 500 to staff without members access (the search backend cannot filter on the
    # collection's path).
    image, document = members_files
    public_image = get_image_model().objects.create(
        title="Public diagram title", file=ImageFile(io.BytesIO(png_bytes()), name="public.png")
    )
    client.force_login(wagtail_editor("editor", members_access=False))
    for url in (
        "/admin/images/",
        "/admin/images/chooser/",
        "/admin/images/chooser/results/",
        "/admin/documents/",
        "/admin/documents/chooser/",
        "/admin/documents/chooser/results/",
    ):
        for query in ("title", "Members-only", "diagram"):
            response = client.get(url, {"q": query})
            assert response.status_code == 200, (url, query)
            assert image.title not in response.text and document.title not in response.text, (url, query)
    assert public_image.title in client.get("/admin/images/", {"q": "diagram"}).text
    assert public_image.title in client.get("/admin/images/chooser/results/", {"q": "diagram"}).text


@pytest.mark.django_db
def test_searching_files_with_members_access_finds_members_files(client, members_files):
    image, document = members_files
    client.force_login(wagtail_editor("members-editor", members_access=True))
    assert image.title in client.get("/admin/images/", {"q": "diagram"}).text
    assert document.title in client.get("/admin/documents/chooser/results/", {"q": "handout"}).text
