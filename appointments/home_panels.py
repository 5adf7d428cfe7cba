"""The admin start page's reception panel (Wagtail's construct_homepage_panels hook)."""

from django.utils import timezone
from wagtail.admin.ui.components import Component

from .availability import clinic_zone
from .reception import glance


class ReceptionPanel(Component):
    name = "reception"
    order = 50  # above Wagtail's own panels: it is what reception opens the admin for
    template_name = "appointments/admin/home_panel.html"

    def get_context_data(self, parent_context=None):
        tz = clinic_zone()
        return {"glance": glance(now=timezone.now(), tz=tz), "tz": tz}
