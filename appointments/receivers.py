"""Saves in this app that make stored public pages stale: coming closures show beside the opening hours."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from pages.signals import purge_on_site_wide_change

from .models import Closure


@receiver(post_save, sender=Closure)
@receiver(post_delete, sender=Closure)
def purge_on_closure_change(sender, **kwargs):
    purge_on_site_wide_change(sender, **kwargs)
