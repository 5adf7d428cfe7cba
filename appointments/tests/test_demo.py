"""The demo loader: bookable slots on a fresh database, idempotent, never overwrites staff edits."""

from appointments.availability import find_slots
from appointments.demo import load
from appointments.models import BookingSettings, ContactPage, Practitioner, Service, WorkingHours


def test_demo_offers_slots_and_is_idempotent(demo_content):
    services = {s.slug: s for s in Service.objects.all()}
    assert services["initial-evaluation"].duration_minutes == 60
    assert services["follow-up-session"].duration_minutes == 45
    assert all("(demo practitioner)" in p.name for p in Practitioner.objects.all())
    assert Practitioner.objects.count() == 2
    assert find_slots(service=services["initial-evaluation"])
    assert ContactPage.objects.get().url_path.endswith("/contact/")
    assert BookingSettings.objects.get().care_card
    services["initial-evaluation"].name = "Edited by staff"
    services["initial-evaluation"].save()
    counts = (Practitioner.objects.count(), Service.objects.count(), WorkingHours.objects.count())
    load(log=lambda *args: None)
    assert (Practitioner.objects.count(), Service.objects.count(), WorkingHours.objects.count()) == counts
    assert Service.objects.get(slug="initial-evaluation").name == "Edited by staff"
    assert ContactPage.objects.count() == 1
