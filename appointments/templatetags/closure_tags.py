from django import template

from appointments.closures import coming_closures as _coming

register = template.Library()


@register.simple_tag
def coming_closures():
    return _coming()
