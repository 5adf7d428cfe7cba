import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.production")

django_application = get_wsgi_application()

# Repeated anonymous page-cache hits are answered in front of Django (FASTPATH_SECONDS=0: off).
from clinic.fastpath import with_fast_path  # noqa: E402 - needs the settings loaded above

application = with_fast_path(django_application)
