"""Languages and time zones."""

import os

from django.utils.translation import gettext_lazy as _

from .env import BASE_DIR

# Internationalisation: English now, Japanese planned; strings are marked for translation.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Fallback only: each request activates the clinic's own time zone from clinic settings.
TIME_ZONE = os.environ.get("CLINIC_TIME_ZONE", "Europe/London")
