"""The one rule for stored members files: is this stored name members-only?

Every place that hands out a stored file asks it: Django's /media/ view, the members file view
(renditions and originals of members images), the document and image views of the members area
and Wagtail's rendition naming. It is decided on the path as the file system will read it, so
`//`, `/./`, `x/../`, percent-encoding, backslashes, letter case and symbolic links cannot
smuggle a private file past it.
"""

import posixpath
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings

PRIVATE_FOLDER = "members-private"
PRIVATE_PREFIX = f"{PRIVATE_FOLDER}/"
RENDITIONS_PREFIX = f"{PRIVATE_PREFIX}renditions/"
MAX_DECODING_ROUNDS = 5  # %252e is %2e once decoded: a deeper nesting is refused outright


def normalise(name: str) -> str:
    """The relative path a file system would open for `name` below MEDIA_ROOT (no decoding)."""
    name = name.replace("\\", "/")  # Windows reads a backslash as a separator
    return posixpath.normpath("/" + name).lstrip("/")


def _spellings(name: str):
    """`name` as given, then once more for each round of percent-decoding it still carries."""
    yield name
    for _ in range(MAX_DECODING_ROUNDS):
        decoded = unquote(name)
        if decoded == name:
            return
        name = decoded
        yield name
    yield PRIVATE_PREFIX  # still encoded after all rounds: nobody honest names a file like that


def _under_private_folder(relative: str) -> bool:
    folded = relative.casefold()  # case-insensitive file systems (macOS, Windows) open either spelling
    return folded == PRIVATE_FOLDER or folded.startswith(PRIVATE_PREFIX)


def _resolves_into_private_folder(relative: str) -> bool:
    # A symbolic link elsewhere in MEDIA_ROOT that points into the private folder.
    root = Path(settings.MEDIA_ROOT)
    try:
        target = (root / relative).resolve()
        private = (root / PRIVATE_FOLDER).resolve()
    except (OSError, RuntimeError, ValueError):
        return True  # a path the system cannot even resolve is not served
    return target == private or private in target.parents


def is_private_name(name: str) -> bool:
    """Is the stored file `name` (relative to MEDIA_ROOT, as a URL or storage gives it) members-only?"""
    if "\x00" in name:
        return True
    return any(
        _under_private_folder(normalise(spelling)) or _resolves_into_private_folder(normalise(spelling))
        for spelling in _spellings(name)
    )


def is_members_file(item) -> bool:
    """Is this image or document members-only (stored privately, or in the "Members only" collection)?"""
    from .protected_media import in_members_collection

    file = getattr(item, "file", None)
    return bool(file and file.name and is_private_name(file.name)) or in_members_collection(item)


def private_rendition_name(name: str) -> str:
    return RENDITIONS_PREFIX + posixpath.basename(name)


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
    from wagtail.images import get_image_model

    renditions = (
        get_image_model()
        .get_rendition_model()
        .objects.filter(image__file__startswith=PRIVATE_PREFIX)
        .exclude(file__startswith=PRIVATE_PREFIX)
    )
    deleted, _ = renditions.delete()  # Wagtail's post_delete handler removes each file on commit
    return deleted
