"""Static files, uploaded media, storages and backups."""

import os
from pathlib import Path

from .env import BASE_DIR, env_bool

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# In production the web server (nginx) serves MEDIA_ROOT; `make serve` has none in
# front, so it sets SERVE_MEDIA=1 and Django serves uploaded images itself.
SERVE_MEDIA = env_bool("SERVE_MEDIA", False)
STORAGES = {
    # Members files (members-private/) get an access-checked URL instead of a /media/ one.
    "default": {"BACKEND": "members.storage.MediaStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Backups (`manage.py backup` / `restore`): where archives go unless --output says otherwise.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", BASE_DIR / "var" / "backups"))
