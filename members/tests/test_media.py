"""Integration tests: images and documents used on members pages are served only with access."""

import datetime
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.test import Client
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from members import passwords
from members.models import MembersArticlePage
from members.protected_media import PRIVATE_PREFIX, members_collection

from .conftest import enter, plain


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (1200, 600), (30, 90, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


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


@pytest.fixture
def article_with_media(members, members_image, members_document):
    article = MembersArticlePage.objects.get(slug="toldts-fascia")
    article.body.append(("figure", {"image": members_image, "alt_text": "A diagram", "caption": "Diagram"}))
    article.body.append(("document", {"document": members_document, "link_text": "Download the handout"}))
    article.save_revision().publish()
    return article


def granted_client() -> Client:
    client = Client()
    enter(client, plain(passwords.current(now=datetime.datetime.now(datetime.UTC))))
    return client


@pytest.mark.django_db
def test_members_files_are_moved_out_of_the_public_folders(members_image, members_document, settings):
    for item in (members_image, members_document):
        item.refresh_from_db()
        assert item.file.name.startswith(PRIVATE_PREFIX)
        assert (settings.MEDIA_ROOT / item.file.name).exists()
    assert not (settings.MEDIA_ROOT / "original_images" / "diagram.png").exists()
    assert not (settings.MEDIA_ROOT / "documents" / "handout.pdf").exists()
    # Where Django serves /media/ itself, the private folder is refused.
    assert Client().get("/media/" + members_image.file.name).status_code == 404


@pytest.mark.django_db
def test_article_images_and_documents_need_access(article_with_media, members_image, members_document):
    anonymous = Client()
    image_url = f"/members/-/images/{members_image.pk}/width-960/"
    document_url = members_document.url
    assert anonymous.get(image_url).status_code == 403
    document = anonymous.get(document_url)
    assert document.status_code == 403 and b"members handout" not in document.content

    member = granted_client()
    html = member.get(article_with_media.url).text
    assert image_url in html and document_url in html
    assert "/media/" not in html  # nothing of the article comes from a public URL
    image = member.get(image_url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert PILImage.open(io.BytesIO(image.content)).size == (960, 480)
    assert "no-store" in image["Cache-Control"] and "private" in image["Cache-Control"]
    download = member.get(document_url)
    assert download.status_code == 200
    assert download.content == b"%PDF-1.4 members handout"
    assert "no-store" in download["Cache-Control"], dict(download.headers)
    # Resizing happened in memory: no rendition file was written to the public folders.
    assert members_image.renditions.count() == 0


@pytest.mark.django_db
def test_image_view_serves_only_members_images_and_known_sizes(members):
    public = get_image_model().objects.create(title="Public", file=ImageFile(io.BytesIO(png_bytes()), name="p.png"))
    member = granted_client()
    assert member.get(f"/members/-/images/{public.pk}/width-960/").status_code == 404
    assert member.get(f"/members/-/images/{public.pk}/width-9999/").status_code == 404


@pytest.mark.django_db
def test_public_documents_are_unaffected(members):
    document = get_document_model().objects.create(title="Leaflet", file=ContentFile(b"public leaflet", name="l.pdf"))
    response = Client().get(document.url)
    assert response.status_code == 200


@pytest.mark.django_db
def test_members_blocks_refuse_files_outside_the_members_collection(members):
    from wagtail.blocks import StructBlockValidationError

    from members.blocks import MembersFigureBlock

    public = get_image_model().objects.create(title="Public", file=ImageFile(io.BytesIO(png_bytes()), name="p.png"))
    block = MembersFigureBlock()
    with pytest.raises(StructBlockValidationError):
        block.clean(block.to_python({"image": public.pk, "alt_text": "x", "caption": ""}))
