"""What makes stored public pages stale: publishing or changing anything they show.

Declared with the caching app's registry (caching/invalidation.py), which purges once per save."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.images.models import AbstractImage
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from caching.invalidation import stale_on

from .models import ClinicSettings, Notice, OpeningHours


def _is_page(sender, instance, **kwargs) -> bool:
    return isinstance(instance, Page)


def _is_image(sender, instance, **kwargs) -> bool:
    # Cached article bodies hold rendition URLs; a replaced image file must show at once.
    return isinstance(instance, AbstractImage)


def _members_area_created(sender, instance, created=False, **kwargs) -> bool:
    return created and sender._meta.label == "members.MembersAreaPage"


def declare() -> None:
    for signal in (page_published, page_unpublished, page_slug_changed, post_page_move):
        stale_on(signal)
    stale_on(post_delete, when=_is_page)
    for model in (Notice, Site, OpeningHours):
        stale_on(post_save, sender=model)
        stale_on(post_delete, sender=model)
    stale_on(post_save, sender=ClinicSettings)
    stale_on(post_save, when=_is_image)
    stale_on(post_delete, when=_is_image)
    # View restrictions and the members-area check are kept per page (caching.entries): a page
    # made private must be refused on the next request.
    stale_on(post_save, sender=PageViewRestriction)
    stale_on(post_delete, sender=PageViewRestriction)
    stale_on(m2m_changed, sender=PageViewRestriction.groups.through)
    stale_on(post_save, when=_members_area_created)
