from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffSecurityConfig(AppConfig):
    name = "staff_security"
    verbose_name = _("Staff security")

    def ready(self):
        from . import checks  # noqa: F401 - registers the system check
