"""Setting up: services chosen on a practitioner's page, slugs from names, and a patient flow that
offers only practitioners who give the chosen service."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from appointments.models import Practitioner, Service

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def admin_client(client, clinic):
    client.force_login(User.objects.create_superuser("admin", "a@example.org", "a-long-password-123"))
    return client


def practitioner_data(services=(), **fields):
    hours = inline_formset([{"weekday": 0, "starts": "09:00", "ends": "13:00"}])
    data = nested_form_data({"name": "", "slug": "", "active": "on", "working_hours": hours, **fields})
    return {**data, "services": [str(pk) for pk in services]}


def test_a_practitioners_services_are_chosen_on_their_own_page(admin_client, clinic):
    url = reverse("wagtailsnippets_appointments_practitioner:add")
    page = admin_client.get(url).content.decode()
    assert 'name="services"' in page and "Initial evaluation" in page
    data = practitioner_data(name="Jo Bloggs", services=[clinic["initial"].pk])
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    jo = Practitioner.objects.get(name="Jo Bloggs")
    assert jo.slug == "jo-bloggs"  # filled in from the name
    assert list(jo.services.all()) == [clinic["initial"]] and jo.working_hours.count() == 1
    edit = reverse("wagtailsnippets_appointments_practitioner:edit", args=[jo.pk])
    assert (
        'value="{}" checked'.format(clinic["initial"].pk)
        in admin_client.get(edit).content.decode().replace(' id="id_services_0"', "")
        or "checked" in admin_client.get(edit).content.decode()
    )
    data = practitioner_data(name="Jo Bloggs", slug="jo-bloggs", services=[clinic["follow_up"].pk])
    data["working_hours-0-id"] = str(jo.working_hours.get().pk)
    assert admin_client.post(edit, data).status_code == 302
    assert list(jo.services.all()) == [clinic["follow_up"]]
    # Another with the same name gets a slug of its own; a typed slug is kept.
    admin_client.post(url, practitioner_data(name="Jo Bloggs"))
    assert Practitioner.objects.filter(slug="jo-bloggs-2").exists()
    admin_client.post(url, practitioner_data(name="Kim", slug="kim-k"))
    assert Practitioner.objects.filter(slug="kim-k").exists()


def test_a_service_slug_is_filled_in_from_its_name(admin_client, clinic):
    url = reverse("wagtailsnippets_appointments_service:add")
    data = {
        "name": "Initial evaluation",
        "slug": "",
        "duration_minutes": "30",
        "buffer_minutes": "0",
        "audience": "any",
        "confirmation": "instant",
        "practitioners": [clinic["a"].pk],
        "active": "on",
        "sort_order": "0",
    }
    assert admin_client.post(url, data).status_code == 302
    assert Service.objects.filter(slug="initial-evaluation-2", name="Initial evaluation").exists()


def test_the_patient_is_offered_only_practitioners_who_give_the_service(client, clinic):
    only_alex = Service.objects.create(name="Dry needling", slug="dry-needling", duration_minutes=30)
    only_alex.practitioners.set([clinic["a"]])
    nobody = Service.objects.create(name="Nobody gives", slug="nobody-gives", duration_minutes=30)
    Practitioner.objects.create(name="Newcomer", slug="newcomer")  # gives nothing yet
    first = client.get("/appointments/").content.decode()
    assert 'value="dry-needling"' in first and 'value="nobody-gives"' not in first
    assert 'name="practitioner"' not in first  # one question per page: the service first
    second = client.get("/appointments/", {"service": "initial-evaluation"}).content.decode()
    assert "Who would you like to see for Initial evaluation?" in second
    assert 'value="alex"' in second and 'value="sam"' in second and "Newcomer" not in second
    assert 'type="hidden" name="service" value="initial-evaluation"' in second
    # One practitioner: nothing to choose, straight on to the days.
    straight = client.get("/appointments/", {"service": "dry-needling"})
    assert straight.status_code == 302 and "service=dry-needling&practitioner=anyone" in straight["Location"]
    # An edited link with someone who does not give it: asked again, offered the right ones.
    wrong = client.get("/appointments/", {"service": "initial-evaluation", "practitioner": "newcomer"})
    text = wrong.content.decode()
    assert wrong.status_code == 400 and "does not offer this service" in text and "Newcomer" not in text
    assert client.get("/appointments/", {"service": nobody.slug}).status_code == 400
