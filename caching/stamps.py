"""A token read from the shared file cache only when its file is new (an inode stamp).

With the embedded default (no Redis) the page cache alias is Django's FileBasedCache in one
directory every process shares; a token there is one file, replaced by rename on every change.
"""

import os

# pickle: reads only this site's own file cache, as Django's FileBasedCache does.
import pickle  # noqa: S403  # nosec B403
import threading
import time
import zlib

from django.core.cache.backends.filebased import FileBasedCache


class VersionReader:
    """`cache.get(key)`, for the file cache read from its file only when it is a new one.

    Django's FileBasedCache never rewrites a value's file in place (`set` and `add` write a new
    file and rename it over the old one; only `touch` writes in place, and nothing touches the
    version). The reader keeps the file it last read open, so no new file can be given that
    file's inode number: one stat() of the path, same device and inode, tells that the value
    read is still the current one (about 1 us instead of reading and unpickling, about 7 us).
    """

    def __init__(self, cache, key: str):
        self.cache = cache
        self.key = key
        self.path = cache._key_to_file(self.key) if isinstance(cache, FileBasedCache) else None
        self._held = None  # (the file kept open, (st_dev, st_ino), expiry, value)
        self._lock = threading.Lock()

    def __call__(self) -> str | None:
        if self.path is None:
            return self.cache.get(self.key)
        try:
            found = os.stat(self.path)
            held = self._held
            if held is None or held[1] != (found.st_dev, found.st_ino):
                held = self._read()
        except (FileNotFoundError, EOFError):
            return None
        expiry, value = held[2], held[3]
        if expiry is not None and expiry < time.time():
            return None
        return value

    def _read(self) -> tuple:
        file = open(self.path, "rb")  # noqa: SIM115 - kept open on purpose (see the class)
        try:
            opened = os.fstat(file.fileno())
            expiry = pickle.load(file)  # noqa: S301 - FileBasedCache's format: expiry, then the value  # nosec B301
            value = pickle.loads(zlib.decompress(file.read()))  # noqa: S301  # nosec B301
        except BaseException:
            file.close()
            raise
        held = (file, (opened.st_dev, opened.st_ino), expiry, value)
        with self._lock:
            previous, self._held = self._held, held
        if previous is not None:
            previous[0].close()
        return held
