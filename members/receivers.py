"""What makes the members area's stored answers stale: the access snapshots and replays (a new
access version) and the rendered members pages (a page-cache purge).

Declared with the caching app's registry (caching/invalidation.py), which runs each action once
per save."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save
from wagtail.documents.models import AbstractDocument
from wagtail.models import PageViewRestriction

from caching.invalidation import NEW_ACCESS_VERSION, stale_on

from . import access
from .models import MembersPolicy, PatientPass, SharedPassword


def _is_document(sender, instance, **kwargs) -> bool:
    # Rendered members pages hold document links (URL with the file name, its type).
    return isinstance(instance, AbstractDocument)


def _session_was_granted(sender, request=None, **kwargs) -> bool:
    # Staff sign-in changes the session key and sign-out deletes the session: if it held a members
    # grant, processes that remember the old key as granted (caching/members_replay.py) must forget it.
    session = getattr(request, "session", None)
    return session is not None and access.SESSION_KEY in session


def declare() -> None:
    for model in (SharedPassword, PatientPass, MembersPolicy):
        stale_on(post_save, sender=model, action=NEW_ACCESS_VERSION)
        stale_on(post_delete, sender=model, action=NEW_ACCESS_VERSION)
    # A stored members route is only kept for a page without view restrictions (page_cache).
    stale_on(post_save, sender=PageViewRestriction)
    stale_on(post_delete, sender=PageViewRestriction)
    stale_on(post_save, when=_is_document)
    stale_on(post_delete, when=_is_document)
    stale_on(user_logged_in, action=NEW_ACCESS_VERSION, when=_session_was_granted)
    stale_on(user_logged_out, action=NEW_ACCESS_VERSION, when=_session_was_granted)
