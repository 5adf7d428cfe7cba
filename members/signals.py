"""Keep the members caches true: the access snapshot (access_state) and the rendered pages
(page_cache, in the page cache alias that pages/signals.py purges on every publish)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import access_state
from .models import MembersPolicy, PatientPass, SharedPassword


@receiver(post_save, sender=SharedPassword)
@receiver(post_delete, sender=SharedPassword)
@receiver(post_save, sender=PatientPass)
@receiver(post_delete, sender=PatientPass)
@receiver(post_save, sender=MembersPolicy)
@receiver(post_delete, sender=MembersPolicy)
def invalidate_access(sender, **kwargs):
    access_state.invalidate()

