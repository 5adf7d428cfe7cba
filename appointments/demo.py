"""Demo booking set-up: two clearly marked demo practitioners, two services, weekday hours, the care
card wording and the /contact/ page. Idempotent: only creates what is missing, never overwrites."""

import datetime as dt

from django.db import transaction
from wagtail.models import Site

from pages.models import HomePage

from .models import BookingSettings, ContactFormField, ContactPage, Practitioner, Service, WorkingHours

PRACTITIONERS = [
    ("demo-practitioner-a", "Alex Example (demo practitioner)"),
    ("demo-practitioner-b", "Sam Sample (demo practitioner)"),
]
SERVICES = [
    {
        "slug": "initial-evaluation",
        "name": "Initial evaluation",
        "duration_minutes": 60,
        "buffer_minutes": 15,
        "audience": Service.Audience.NEW,
        "confirmation": Service.Confirmation.INSTANT,
        "sort_order": 1,
        "price_text": "",
        "description": "A first appointment for new patients.",
    },
    {
        "slug": "follow-up-session",
        "name": "Follow-up session",
        "duration_minutes": 45,
        "buffer_minutes": 15,
        "audience": Service.Audience.RETURNING,
        "confirmation": Service.Confirmation.INSTANT,
        "sort_order": 2,
        "price_text": "",
        "description": "For returning patients.",
    },
]
HOURS = {"demo-practitioner-a": (dt.time(9), dt.time(17)), "demo-practitioner-b": (dt.time(10), dt.time(18))}
CARE_CARD = {
    "urgency": "emergency",
    "heading": "Call {emergency_number} or go to an emergency department if you need urgent help",
    "intro": "Do not wait for an appointment or for a reply to an online request.",
    "items": ["If you are worried that a problem cannot wait, get help now rather than booking online."],
    "footer": "",
}


@transaction.atomic
def load(log=print) -> None:
    practitioners = []
    for slug, name in PRACTITIONERS:
        practitioner, created = Practitioner.objects.get_or_create(slug=slug, defaults={"name": name})
        if created:
            starts, ends = HOURS[slug]
            for weekday in range(5):
                WorkingHours.objects.create(
                    practitioner=practitioner, weekday=weekday, starts=starts, ends=ends, sort_order=weekday
                )
            log(f"Created demo practitioner {name} with weekday hours")
        practitioners.append(practitioner)
    for data in SERVICES:
        service, created = Service.objects.get_or_create(slug=data["slug"], defaults=data)
        if created:
            service.practitioners.set(practitioners)
            log(f"Created service {service.name}")
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    settings = BookingSettings.for_site(site)
    if not settings.care_card:
        settings.care_card = [("care_card", CARE_CARD)]
        settings.save()
        log("Added the urgent care card to booking settings")
    home = HomePage.objects.first()
    if home and not ContactPage.objects.exists():
        from pages.models import ClinicSettings

        clinic = ClinicSettings.for_site(site)
        page = ContactPage(
            title="Contact",
            slug="contact",
            intro='<p>Send the clinic a message. To book, use <a href="/appointments/">online booking</a>.</p>',
            thank_you_text="<p>Thank you. The clinic will reply by email.</p>",
            to_address=clinic.email or "clinic@example.com",
            from_address="",
            subject="Message from the website",
            show_in_menus=True,
        )
        home.add_child(instance=page)
        for order, (label, field_type, required) in enumerate(
            [("Your name", "singleline", True), ("Your email", "email", True), ("Your message", "multiline", True)]
        ):
            ContactFormField.objects.create(
                page=page, sort_order=order, label=label, field_type=field_type, required=required
            )
        page.save_revision().publish()
        log("Created the contact page at /contact/")
