"""Saves in this app that make stored public pages stale: coming closures show beside the opening
hours and on the booking pages. Declared with the caching app's registry, which purges once per save."""

from django.db.models.signals import post_delete, post_save

from caching.invalidation import stale_on

from .models import Closure


def declare() -> None:
    stale_on(post_save, sender=Closure)
    stale_on(post_delete, sender=Closure)
