"""Images and documents of the members area: kept in the "Members only" collection, stored under a
private folder that the public media server must not serve, and streamed only to granted sessions.
"""

import logging
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model
from wagtail.models import Collection

from .private_files import PRIVATE_PREFIX, is_private_name, private_rendition_name

logger = logging.getLogger(__name__)


def collection_name() -> str:
    return getattr(settings, "MEMBERS_COLLECTION_NAME", "Members only")


def members_collection() -> Collection:
    found = Collection.objects.filter(name=collection_name(), depth=2).first()
    if found:
        return found
    return Collection.get_first_root_node().add_child(name=collection_name())


def in_members_collection(item) -> bool:
    collection = getattr(item, "collection", None)
    if collection is None:
        return False
    base = Collection.objects.filter(name=collection_name(), depth=2).first()
    return base is not None and collection.path.startswith(base.path)


def move_to_private_storage(item) -> bool:
    """Move a members file out of the public media folders (original and renditions).

    The new name carries a random token: even a misconfigured media server would need a
    128-bit guess. Returns True if the file moved.
    """
    name = item.file.name
    if not name or is_private_name(name) or not in_members_collection(item):
        return False
    storage = item.file.storage
    with storage.open(name, "rb") as handle:
        data = handle.read()
    base = name.rsplit("/", 1)[-1]
    new_name = storage.save(f"{PRIVATE_PREFIX}{secrets.token_hex(16)}-{base}", ContentFile(data))
    type(item).objects.filter(pk=item.pk).update(file=new_name)
    item.file.name = new_name
    storage.delete(name)
    renditions = getattr(item, "renditions", None)
    if renditions is not None:
        renditions.all().delete()  # public thumbnails made before the move (Wagtail deletes the files)
    logger.info("Moved a members-only file into private storage (%s #%s)", type(item).__name__, item.pk)
    return True


MOVE_HELP = _("Files in the “Members only” collection are stored privately and shown only to members.")


def is_members_file(item) -> bool:
    """Is this image or document members-only (stored privately, or in the "Members only" collection)?"""
    file = getattr(item, "file", None)
    return bool(file and file.name and is_private_name(file.name)) or in_members_collection(item)


def keep_members_renditions_private(rendition_model) -> None:
    """Store the renditions of members images in the private folder.

    Wagtail names every rendition `images/<name>` (Rendition.get_upload_to), the public folder that
    nginx serves; the admin makes an `original` and a `max-800x600` of every image it shows. The
    model is Wagtail's, so its method is wrapped here rather than overridden in a subclass (a custom
    image model would mean moving every stored image).
    """
    wagtail_upload_to = rendition_model.get_upload_to
    if getattr(wagtail_upload_to, "keeps_members_renditions_private", False):
        return

    def get_upload_to(rendition, filename):
        name = wagtail_upload_to(rendition, filename)
        image = getattr(rendition, "image", None)
        if image is not None and is_members_file(image):
            return private_rendition_name(name)
        return name

    get_upload_to.keeps_members_renditions_private = True
    rendition_model.get_upload_to = get_upload_to


def remove_public_renditions_of_members_images() -> int:
    """Delete renditions of members images still lying in the public folder (made before the rule).

    Idempotent; run after every migrate. Wagtail deletes the files with the rows and makes new,
    private ones when they are next asked for.
    """
    renditions = (
        get_image_model()
        .get_rendition_model()
        .objects.filter(image__file__startswith=PRIVATE_PREFIX)
        .exclude(file__startswith=PRIVATE_PREFIX)
    )
    deleted, _ = renditions.delete()  # Wagtail's post_delete handler removes each file on commit
    return deleted
