"""Test helpers shared by the transactional tests (live server, drills, backups).

Why this exists: a transactional test ends by flushing every table, including the rows Wagtail's
migrations created (the root page and collection, the default site and locale). pytest-django's serialized rollback
puts them back, but only through the database connection object that was created at setup; once
the session-wide Playwright browser is running, asgiref gives the main thread a fresh connection
object without the serialized copy, and the rows stay gone. So these tests rebuild that minimum
themselves, exactly as wagtail's `0002_initial_data` migration does.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Collection, Locale, Page, Site


def ensure_wagtail_tree() -> None:
    if Collection.objects.exists() and Locale.objects.exists() and Site.objects.exists():
        return
    ContentType.objects.clear_cache()  # ids cached before the flush no longer exist
    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    page_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="page")
    root = Page.objects.filter(depth=1).first() or Page.objects.create(
        title="Root", slug="root", content_type=page_type, path="0001", depth=1, numchild=0, url_path="/"
    )
    if not Site.objects.exists():
        home = Page.objects.filter(depth=2).first()
        if home is None:
            home = Page.objects.create(
                title="Welcome to your new Wagtail site!",
                slug="home",
                content_type=page_type,
                path="00010001",
                depth=2,
                numchild=0,
                url_path="/home/",
            )
            Page.objects.filter(pk=root.pk).update(numchild=1)
        Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
