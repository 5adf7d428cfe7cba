import pytest


@pytest.mark.django_db
def test_sciatica_page_renders_from_demo_content(client, demo_content):
    response = client.get("/sciatica/")
    assert response.status_code == 200
    assert "Pain and tingling from the lower back to the leg" in response.text


@pytest.mark.django_db
def test_demo_loader_is_idempotent(demo_content):
    from django.core.management import call_command
    from wagtail.models import Page

    before = Page.objects.count()
    call_command("load_demo_content")
    assert Page.objects.count() == before
