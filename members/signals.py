"""Keep the members caches true: the access snapshot (access_state) and the rendered pages
(page_cache, in the page cache alias that pages/signals.py purges on every publish)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.documents.models import AbstractDocument
from wagtail.models import PageViewRestriction

from clinic.page_cache import purge_page_cache

from . import access, access_state
from .models import MembersPolicy, PatientPass, SharedPassword


@receiver(post_save, sender=SharedPassword)
@receiver(post_delete, sender=SharedPassword)
@receiver(post_save, sender=PatientPass)
@receiver(post_delete, sender=PatientPass)
@receiver(post_save, sender=MembersPolicy)
@receiver(post_delete, sender=MembersPolicy)
def invalidate_access(sender, **kwargs):
    access_state.invalidate()


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
def purge_on_view_restriction_change(sender, **kwargs):
    # A cached members route is only kept for a page without view restrictions (page_cache).
    purge_page_cache()


@receiver(post_save)
@receiver(post_delete)
def purge_on_document_change(sender, instance, **kwargs):
    # Rendered members pages hold document links (URL with the file name, its type).
    if isinstance(instance, AbstractDocument):
        purge_page_cache()


@receiver(user_logged_in)
@receiver(user_logged_out)
def forget_granted_session(sender, request, **kwargs):
    # Staff sign-in changes the session key and sign-out deletes the session: if it held a members
    # grant, processes that remember the old key as granted (members/fastpath.py) must forget it.
    session = getattr(request, "session", None)
    if session is not None and access.SESSION_KEY in session:
        access_state.invalidate()
