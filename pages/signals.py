"""Purge cached public pages whenever something they show is published or changed."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from wagtail.images.models import AbstractImage
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from clinic.page_cache import purge_page_cache

from .models import ClinicSettings, Notice, OpeningHours


@receiver(page_published)
@receiver(page_unpublished)
@receiver(page_slug_changed)
@receiver(post_page_move)
def purge_on_page_change(sender, **kwargs):
    purge_page_cache()


@receiver(post_delete)
def purge_on_page_delete(sender, instance, **kwargs):
    if isinstance(instance, Page):
        purge_page_cache()


@receiver(post_save, sender=Notice)
@receiver(post_delete, sender=Notice)
@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
@receiver(post_save, sender=ClinicSettings)
@receiver(post_save, sender=OpeningHours)
@receiver(post_delete, sender=OpeningHours)
def purge_on_site_wide_change(sender, **kwargs):
    purge_page_cache()


@receiver(post_save)
@receiver(post_delete)
def purge_on_image_change(sender, instance, **kwargs):
    # Cached article bodies hold rendition URLs; a replaced image file must show at once.
    if isinstance(instance, AbstractImage):
        purge_page_cache()


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
@receiver(m2m_changed, sender=PageViewRestriction.groups.through)
def purge_on_view_restriction_change(sender, **kwargs):
    # View restrictions and the members-area check are kept per page (clinic.page_cache):
    # a page made private must be refused on the next request.
    purge_page_cache()


@receiver(post_save)
def purge_on_members_area_created(sender, instance, created, **kwargs):
    if created and sender._meta.label == "members.MembersAreaPage":
        purge_page_cache()
