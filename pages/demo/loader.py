"""Creates the public demo content. Idempotent: it only adds what is missing and never
changes an existing page, notice or setting, so staff edits survive every re-run."""

import datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.images import ImageFile
from django.db import transaction
from wagtail.images import get_image_model
from wagtail.models import Collection, Locale, Page, Site

from pages.models import ClinicSettings, ConditionPage, HomePage, Notice, OpeningHours, StandardPage

from . import sciatica

DEMO_DIR = Path(__file__).resolve().parent
FIGURE_TITLE = "The course of the sciatic nerve (demo figure)"


def ensure_tree_roots() -> Page:
    """Wagtail's migrations create the root page, root collection and default locale; a
    flushed database (`manage.py flush`, transactional tests) has none of them."""
    if not Locale.objects.exists():
        from wagtail.coreutils import get_supported_content_language_variant

        Locale.objects.create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if not Collection.get_first_root_node():
        Collection.add_root(instance=Collection(name="Root"))
    return Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))


def get_home() -> HomePage:
    """The site's HomePage, replacing Wagtail's placeholder "Welcome" page on a fresh database."""
    home = HomePage.objects.first()
    if home:
        return home
    root = ensure_tree_roots()
    placeholder = Page.objects.filter(depth=2, slug="home", content_type__model="page").first()
    if placeholder:
        placeholder.slug = "home-placeholder"
        placeholder.save(update_fields=["slug"])
    home = root.add_child(
        instance=HomePage(
            title="Manual therapy clinic",
            slug="home",
            intro="<p>Hands-on manual therapy. Read about the conditions we see, and book an appointment online.</p>",
            seo_title="Manual therapy clinic",
            search_description="Manual therapy clinic: health information, members area for patients, online booking.",
        )
    )
    site = Site.objects.filter(is_default_site=True).first()
    if site:
        site.root_page = home
        site.site_name = home.title
        site.save()
    else:
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name=home.title)
    if placeholder:
        placeholder.delete()
    return home


def ensure_site_address(site: Site, log) -> None:
    """Point Wagtail's placeholder site (localhost:80) at SITE_URL, so canonical links,
    Open Graph URLs and the sitemap name the address the site is really served on.
    A site that staff have already set up is left alone."""
    if (site.hostname, site.port) != ("localhost", 80):
        return
    url = urlsplit(settings.SITE_URL)
    if not url.hostname:
        return
    site.hostname = url.hostname
    site.port = url.port or (443 if url.scheme == "https" else 80)
    site.save(update_fields=["hostname", "port"])
    log(f"Site address: {site.root_url} (edit it in Settings → Sites)")


def get_figure_image():
    Image = get_image_model()
    image = Image.objects.filter(title=FIGURE_TITLE).first()
    if image:
        return image
    with open(DEMO_DIR / "sciatic-nerve.svg", "rb") as handle:
        return Image.objects.create(title=FIGURE_TITLE, file=ImageFile(handle, name="sciatic-nerve.svg"))


def get_notes() -> Notice:
    notes = Notice.objects.filter(title=sciatica.IMPORTANT_NOTES_TITLE).first()
    if notes:
        return notes
    return Notice.objects.create(title=sciatica.IMPORTANT_NOTES_TITLE, body=sciatica.IMPORTANT_NOTES)


def ensure_clinic_settings(site: Site, notes: Notice, log) -> None:
    clinic, created = ClinicSettings.objects.get_or_create(site=site)
    touched = clinic.name != "Clinic" or any(
        (clinic.street_address, clinic.locality, clinic.phone, clinic.email, clinic.important_notes_id)
    )
    if not created and touched:
        return  # staff have filled these in; leave them alone
    clinic.name = "Demo Manual Therapy Clinic"
    clinic.street_address = "1 Example Street"
    clinic.locality = "Exampletown"
    clinic.postal_code = "EX1 1AA"
    clinic.country = "GB"
    clinic.phone = "+44 20 7946 0000"
    clinic.email = "reception@clinic.example"
    clinic.emergency_number = "999"
    clinic.time_zone = "Europe/London"
    clinic.important_notes = notes
    # Plainly fictional, like the address: a real station or map would send patients somewhere real.
    clinic.arrive_minutes_before = 10
    clinic.nearest_station = "Exampletown Central (a fictional demo station), 5 minutes' walk"
    clinic.parking = "Demo text: two parking spaces behind the clinic (fictional)"
    clinic.map_url = "https://maps.example/exampletown/1-example-street"
    clinic.save()
    if not clinic.opening_hours.exists():
        for weekday in range(5):
            OpeningHours.objects.create(
                settings=clinic, weekday=weekday, opens=datetime.time(9), closes=datetime.time(18), sort_order=weekday
            )
        OpeningHours.objects.create(
            settings=clinic, weekday=5, opens=datetime.time(9), closes=datetime.time(13), sort_order=5
        )
    log("Clinic settings: demo values (edit them in Settings → Clinic settings)")


def publish_child(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


@transaction.atomic
def load(log=print) -> None:
    home = get_home()
    site = Site.objects.get(root_page=home)
    ensure_site_address(site, log)
    notes = get_notes()
    ensure_clinic_settings(site, notes, log)

    if not ConditionPage.objects.filter(slug="sciatica").exists():
        image = get_figure_image()
        members_page = Page.objects.filter(slug="members").first()
        publish_child(
            home,
            ConditionPage(
                title="Sciatica",
                slug="sciatica",
                summary=sciatica.SUMMARY,
                body=sciatica.body(image, members_page),
                show_in_menus=True,
            ),
        )
        log("Created /sciatica/")
    if not StandardPage.objects.filter(slug="privacy").exists():
        publish_child(
            home,
            StandardPage(
                title="Privacy notice",
                slug="privacy",
                summary="How the clinic handles the details you give us. (Demo text: the clinic replaces it.)",
                body=[
                    (
                        "paragraph",
                        "<p>This demo privacy notice is a placeholder. The clinic must replace it with "
                        "its own notice before going live.</p>",
                    ),
                ],
            ),
        )
        log("Created /privacy/ (placeholder for the clinic's own notice)")
