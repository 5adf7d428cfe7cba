"""Members files by every spelling of their path: never from /media/, only through the access check,
and closed again by revoking the pass or rotating the password."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.test import Client
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from members import passes, passwords
from members.private_files import PRIVATE_PREFIX, RENDITIONS_PREFIX, is_private_name
from members.protected_media import members_collection

from .conftest import enter, plain

# Each turns the stored name `members-private/<token>-<name>` into a /media/ address that a file
# system resolves to the same file.
SPELLINGS = [
    "/media/{name}",
    "/media//{name}",
    "/media/./{name}",
    "/media/x/../{name}",
    "/media/.//x/..//./{name}",
    "/media/%2e/{name}",
    "/media/x/%2e%2e/{name}",
    "/media/x/%2E%2E%2F{name}",
    "/media/members-private%2f{rest}",
    "/media/%2fmembers-private%2F{rest}",
    "/media/%6dembers-private/{rest}",
    "/media/%252e/{name}",
    "/media/x/%252e%252e/{name}",
    "/media/Members-Private/{rest}",
    "/media/members-private\\{rest}",
]


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (1200, 600), (30, 90, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _django_serves_media(settings):
    settings.SERVE_MEDIA = True  # as `make serve` and `make run` do


@pytest.fixture
def members_image(members):
    return get_image_model().objects.create(
        title="Members diagram",
        file=ImageFile(io.BytesIO(png_bytes()), name="diagram.png"),
        collection=members_collection(),
    )


@pytest.fixture
def members_document(members):
    return get_document_model().objects.create(
        title="Members handout",
        file=ContentFile(b"%PDF-1.4 members handout", name="handout.pdf"),
        collection=members_collection(),
    )


def spelled(name: str) -> list[str]:
    rest = name.removeprefix(PRIVATE_PREFIX)
    return [spelling.format(name=name, rest=rest) for spelling in SPELLINGS]


def password_client() -> Client:
    client = Client()
    enter(client, plain(passwords.current(now=now())))
    return client


def pass_client() -> tuple[Client, object]:
    item, code = passes.issue(label="Chart 7", valid_until=now() + datetime.timedelta(days=30), now=now())
    client = Client()
    assert enter(client, code).status_code == 302
    return client, item


def media_refuses_every_spelling(client: Client, name: str, content: bytes) -> None:
    for url in spelled(name):
        response = client.get(url)
        assert response.status_code == 404, url
        assert content not in b"".join(getattr(response, "streaming_content", [response.content])), url


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_rule_sees_through_every_spelling(spelling):
    assert is_private_name(spelling.format(name="members-private/abc-x.png", rest="abc-x.png").removeprefix("/media/"))


@pytest.mark.parametrize(
    "name", ["images/diagram.png", "original_images/x.png", "documents/members-private.pdf", "a/members-privateer/x"]
)
def test_the_rule_leaves_public_files_public(name):
    assert not is_private_name(name)


def test_a_link_into_the_private_folder_is_private(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "members-private").mkdir()
    (tmp_path / "members-private" / "secret.pdf").write_bytes(b"secret")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "shortcut").symlink_to(tmp_path / "members-private")
    assert is_private_name("images/shortcut/secret.pdf")
    assert not is_private_name("images/other.png")


@pytest.mark.django_db
def test_no_spelling_of_a_members_file_comes_from_media_with_or_without_a_grant(
    members_image, members_document, reception_user, settings
):
    members_image.refresh_from_db()
    members_document.refresh_from_db()
    staff = Client()
    staff.force_login(reception_user)
    for item, content in ((members_image, png_bytes()[:64]), (members_document, b"members handout")):
        assert item.file.name.startswith(PRIVATE_PREFIX)
        assert content in (Path(settings.MEDIA_ROOT) / item.file.name).read_bytes()
        for client in (Client(), password_client(), pass_client()[0], staff):
            media_refuses_every_spelling(client, item.file.name, content)


@pytest.mark.django_db
def test_public_media_is_still_served(members):
    public = get_image_model().objects.create(title="Public", file=ImageFile(io.BytesIO(png_bytes()), name="p.png"))
    response = Client().get(public.file.url)
    assert public.file.url.startswith("/media/original_images/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_members_image_originals_and_renditions_are_stored_privately_and_served_after_the_check(
    members_image, settings
):
    rendition = members_image.get_rendition("max-800x600")
    original = members_image.get_rendition("original")
    media = Path(settings.MEDIA_ROOT)
    token = Path(members_image.file.name).name.split("-", 1)[0]
    for made in (rendition, original):
        assert made.file.name.startswith(RENDITIONS_PREFIX)
        assert made.url.startswith("/members/-/files/renditions/")
        assert (media / made.file.name).exists()
    assert not list((media / "images").glob(f"{token}*")) if (media / "images").exists() else True
    assert members_image.file.url.startswith("/members/-/files/")

    anonymous = Client()
    for url in (rendition.url, original.url, members_image.file.url):
        refused = anonymous.get(url)
        assert refused.status_code == 403 and b"PNG" not in refused.content
    member = password_client()
    served = member.get(rendition.url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert PILImage.open(io.BytesIO(b"".join(served.streaming_content))).size == (800, 400)
    assert "no-store" in served["Cache-Control"] and "private" in served["Cache-Control"]
    assert "sandbox" in served["Content-Security-Policy"]
    # The rendition's own path by every /media/ spelling: refused, granted or not.
    for client in (anonymous, member):
        media_refuses_every_spelling(client, rendition.file.name, b"PNG")


@pytest.mark.django_db
def test_public_image_renditions_stay_public(members):
    public = get_image_model().objects.create(title="Public", file=ImageFile(io.BytesIO(png_bytes()), name="p.png"))
    rendition = public.get_rendition("max-800x600")
    assert rendition.file.name.startswith("images/") and rendition.url.startswith("/media/images/")
    assert Client().get(rendition.url).status_code == 200


@pytest.mark.django_db
def test_the_file_view_serves_the_private_folder_only(members_image, members):
    public = get_image_model().objects.create(title="Public", file=ImageFile(io.BytesIO(png_bytes()), name="p.png"))
    member = password_client()
    for url in (
        f"/members/-/files/../{public.file.name}",
        f"/members/-/files/x/../../{public.file.name}",
        f"/members/-/files/%2e%2e/{public.file.name}",
        "/members/-/files/../../clinic/settings/base.py",
        "/members/-/files/",
        "/members/-/files/renditions/",
        "/members/-/files/no-such-file.png",
    ):
        assert member.get(url).status_code == 404, url
    # A tricky spelling of a private file is still that file, behind the same check.
    name = members_image.file.name.removeprefix(PRIVATE_PREFIX)
    assert member.get(f"/members/-/files/x/../{name}").status_code == 200
    assert Client().get(f"/members/-/files/x/../{name}").status_code == 403


@pytest.mark.django_db
def test_a_revoked_pass_closes_files_and_documents(members_image, members_document):
    client, item = pass_client()
    rendition = members_image.get_rendition("max-165x165")
    members_document.refresh_from_db()
    assert client.get(rendition.url).status_code == 200
    assert client.get(members_document.url).status_code == 200
    passes.revoke(item=item, now=now())
    assert client.get(rendition.url).status_code == 403
    assert client.get(members_image.file.url).status_code == 403
    document = client.get(members_document.url)
    assert document.status_code == 403 and b"members handout" not in document.content
    media_refuses_every_spelling(client, members_image.file.name, b"PNG")
    media_refuses_every_spelling(client, members_document.file.name, b"members handout")


@pytest.mark.django_db
def test_a_rotation_past_its_grace_closes_files_and_documents(members_image, members_document):
    client = password_client()
    rendition = members_image.get_rendition("max-165x165")
    members_document.refresh_from_db()
    assert client.get(rendition.url).status_code == 200
    assert client.get(members_document.url).status_code == 200
    passwords.rotate_now(now=now(), grace=datetime.timedelta(0))
    assert client.get(rendition.url).status_code == 403
    assert client.get(members_image.file.url).status_code == 403
    assert client.get(members_document.url).status_code == 403
    media_refuses_every_spelling(client, members_image.file.name, b"PNG")
    media_refuses_every_spelling(client, members_document.file.name, b"members handout")


@pytest.mark.django_db
def test_renditions_left_in_the_public_folder_by_an_earlier_release_are_removed(members_image):
    from members.protected_media import remove_public_renditions_of_members_images

    rendition_model = get_image_model().get_rendition_model()
    old = rendition_model.objects.create(
        image=members_image, filter_spec="max-800x600", file="images/old.max-800x600.png", width=800, height=400
    )
    kept = members_image.get_rendition("max-165x165")
    assert remove_public_renditions_of_members_images() == 1
    assert not rendition_model.objects.filter(pk=old.pk).exists()
    assert rendition_model.objects.filter(pk=kept.pk).exists()


@pytest.mark.django_db
def test_wagtails_document_address_by_other_spellings_gives_nothing_away(members_document):
    members_document.refresh_from_db()
    canonical = members_document.url
    doc_id, filename = canonical.strip("/").split("/")[1:]
    spellings = [
        canonical,
        f"/documents//{doc_id}/{filename}",
        f"/documents/./{doc_id}/{filename}",
        f"/documents/x/../{doc_id}/{filename}",
        f"/documents/%2e/{doc_id}/{filename}",
        f"/documents/{doc_id}/x/../{filename}",
        f"/documents/{doc_id}%2f{filename}",
        f"/documents/{doc_id}/{filename.upper()}",
    ]
    for url in spellings:
        response = Client().get(url)
        assert response.status_code in (403, 404), url
        assert b"members handout" not in b"".join(getattr(response, "streaming_content", [response.content])), url
    assert password_client().get(canonical).status_code == 200


@pytest.mark.django_db
def test_staff_need_their_second_factor_for_members_files_where_it_is_required(members_image, reception_user, settings):
    rendition = members_image.get_rendition("max-165x165")
    staff = Client()
    staff.force_login(reception_user)  # password only, no authenticator code yet
    assert staff.get(rendition.url).status_code == 200
    settings.STAFF_2FA_REQUIRED = True
    assert staff.get(rendition.url).status_code == 403
    assert staff.get(members_image.file.url).status_code == 403
