import datetime

import pytest
import time_machine
from django.utils import timezone
from django_tasks import task

from caching.purge import purge_page_cache


@task()
def _noop_task():
    return None


def test_healthz_reports_each_check_and_no_secrets(client, db, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "outbox"}
    assert body["checks"]["outbox"]["lag_seconds"] == 0.0
    text = response.content.decode()
    for secret in (settings.SECRET_KEY, str(settings.DATABASES["default"]["NAME"])):
        assert secret not in text
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_fails_when_the_outbox_is_not_drained(client, db):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _noop_task.using(backend="outbox").enqueue()
    with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
        ok = client.get("/healthz")
    with time_machine.travel(start + datetime.timedelta(minutes=10), tick=False):
        late = client.get("/healthz")
    assert ok.status_code == 200
    assert ok.json()["checks"]["outbox"]["lag_seconds"] == pytest.approx(30, abs=1)
    assert late.status_code == 503
    assert late.json()["checks"]["outbox"] == {"ok": False, "lag_seconds": 600.0}


def test_healthz_fails_when_the_cache_is_unreachable(client, db, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "clinic.cache_backends.FailOpenRedisCache", "LOCATION": "redis://127.0.0.1:9/0"},
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"ok": False}
    assert response.json()["checks"]["database"]["ok"] is True


def test_security_txt_names_the_clinic_contact_and_expires_a_year_ahead(client, demo_content, settings):
    from wagtail.models import Site

    from pages.models import ClinicSettings

    clinic = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    clinic.email = "desk@clinic.example"
    clinic.save()
    with time_machine.travel(datetime.datetime(2030, 5, 1, 12, tzinfo=datetime.UTC), tick=False):
        response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert "Contact: mailto:desk@clinic.example" in lines
    assert "Expires: 2031-05-01T12:00:00Z" in lines

    settings.SECURITY_CONTACT = "https://clinic.example/security"
    purge_page_cache()  # the file is public and kept by the page cache like any public page
    assert "Contact: https://clinic.example/security" in client.get("/.well-known/security.txt").content.decode()
