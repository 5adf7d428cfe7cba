"""The front-desk panel on an appointment's page: its course of care, book next visit, slip."""

from django import template

from ..availability import clinic_zone
from ..series import siblings

register = template.Library()


@register.inclusion_tag("appointments/admin/includes/course_panel.html", takes_context=True)
def course_panel(context, appointment):
    tz = clinic_zone()
    sessions = []
    if appointment.series is not None:
        sessions = [(s, s.start.astimezone(tz)) for s in siblings(appointment)]
    rest_active = any(s.is_active and s.series_number >= appointment.series_number for s, _ in sessions)
    user = context["request"].user
    return {
        "appointment": appointment,
        "sessions": sessions,
        "rest_active": rest_active,
        "can_book": user.has_perm("appointments.change_appointment"),
    }
