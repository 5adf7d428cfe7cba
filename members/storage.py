"""The media storage: public files keep their /media/ address, members files get the access-checked one.

Set as the default storage (settings STORAGES), so Wagtail's renditions and image originals in the
private folder link to /members/-/files/, which serves them only to sessions that may see the members
area (members, and staff with the members permission). nginx and Django's /media/ view refuse them.
"""

from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from .private_files import PRIVATE_PREFIX, is_private_name, normalise


class MediaStorage(FileSystemStorage):
    def url(self, name):
        if name and is_private_name(name):
            relative = normalise(name)[len(PRIVATE_PREFIX) :]
            return reverse("members:file", kwargs={"name": relative})
        return super().url(name)
