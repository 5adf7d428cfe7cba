from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("Appointments")

    def ready(self):
        from . import receivers, waitlist_receivers  # noqa: F401 - waitlist offers on freed times

        receivers.declare()
