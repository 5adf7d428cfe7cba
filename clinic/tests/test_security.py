"""Headers every response carries, the two CSPs, and error pages that give nothing away."""

import re

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from pages.models import ConditionPage


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/sciatica/", "/privacy/", "/no-such-page/"])
def test_public_pages_get_the_strict_policy(client, demo_content, path):
    response = client.get(path)
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    policy = directives(header)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/sciatica/"])
def test_public_html_needs_no_inline_script_or_style(client, demo_content, path):
    soup = BeautifulSoup(client.get(path).content, "html.parser")
    for script in soup.find_all("script"):
        assert script.get("type") == "application/ld+json" or script.get("src"), script
    assert not soup.find_all(style=True)
    assert not soup.find_all("style")
    assert not [tag for tag in soup.find_all(True) if any(a.startswith("on") for a in tag.attrs)]


@pytest.mark.django_db
def test_the_admin_gets_its_own_workable_policy(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" in policy["script-src"]  # Wagtail's date widgets
    assert policy["frame-ancestors"] == ["'self'"]  # the preview iframe
    assert policy["frame-src"] == ["'self'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_gravatar_and_update_check_are_off(settings):
    assert settings.WAGTAIL_GRAVATAR_PROVIDER_URL is None
    assert settings.WAGTAIL_ENABLE_UPDATE_CHECK is False


@pytest.mark.django_db
def test_unknown_urls_get_the_designed_404(client, demo_content, settings):
    assert settings.DEBUG is False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.h1.get_text() == "Page not found"
    assert soup.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert soup.find("footer")  # the site's own chrome, not Django's plain page
    assert b"URLconf" not in response.content and b"Traceback" not in response.content


@pytest.mark.django_db
def test_errors_get_the_designed_500_without_a_stack_trace(demo_content, settings, monkeypatch):
    assert settings.DEBUG is False

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("secret detail from deep inside")

    monkeypatch.setattr(ConditionPage, "serve", broken)
    response = Client(raise_request_exception=False).get("/sciatica/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, something went wrong" in html
    for leak in ("secret detail", "Traceback", "RuntimeError", "site-packages"):
        assert leak not in html
    assert not re.search(r"<script(?! type=\"application/ld\+json\")", html)
