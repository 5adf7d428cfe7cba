"""Local development: DEBUG on, a fixed throwaway key, mail printed to the console."""

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 - development only  # nosec B105
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
INTERNAL_IPS = ["127.0.0.1"]
# The development members-password encryption key; production reads its own.
MEMBERS_ENCRYPTION_KEYS = ["Zv0y4m9s0c9J2m6l8XwF5n3pQ1tR7uE4iO0aS2dF6gI="]

# Serve static files straight from the source folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
