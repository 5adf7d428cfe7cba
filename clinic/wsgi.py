import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.production")

django_application = get_wsgi_application()

# In front of Django (both need the settings loaded above): repeated anonymous page-cache hits
# (FASTPATH_SECONDS=0: off) and granted members pages (MEMBERS_FASTPATH=0: off). The members one
# is outermost: it lets a request without a session cookie through at once.
from caching.members_replay import with_members_fast_path  # noqa: E402
from caching.public_replay import with_fast_path  # noqa: E402
from clinic.logging import choose_request_id  # noqa: E402

application = with_members_fast_path(
    with_fast_path(django_application, choose_request_id=choose_request_id), choose_request_id=choose_request_id
)
