"""Django's password backend, refusing the published development password whenever DEBUG is off.

The start-up check (checks.py) keeps a server from starting with such an account, but a password set
to it later (changepassword, a database copied in while the server runs) would otherwise still open
the sign-in form until the next restart.
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from .dev_account import PASSWORD


class ModelBackendWithoutPublishedPassword(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.DEBUG and password == PASSWORD:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
