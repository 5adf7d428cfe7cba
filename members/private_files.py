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


def private_rendition_name(name: str) -> str:
    return RENDITIONS_PREFIX + posixpath.basename(name)
