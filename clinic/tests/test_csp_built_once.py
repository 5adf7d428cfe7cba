"""The site-wide CSP header is built once per process; it must be exactly django-csp's own."""

import pytest
from csp.constants import NONCE, NONE, SELF
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from clinic.middleware import ContentSecurityPolicyMiddleware

from .test_security import directives


def both_headers(request, response_factory=HttpResponse):
    ours = ContentSecurityPolicyMiddleware(lambda r: None).process_response(request, response_factory())
    theirs = CSPMiddleware(lambda r: None).process_response(request, response_factory())
    return ours, theirs


def test_a_public_response_gets_django_csps_own_policy():
    for _ in range(2):  # the second time from the built header
        ours, theirs = both_headers(RequestFactory().get("/sciatica/"))
        assert directives(ours["Content-Security-Policy"]) == directives(theirs["Content-Security-Policy"])
        assert "Content-Security-Policy-Report-Only" not in ours


@pytest.mark.django_db
def test_a_changed_policy_and_a_report_only_policy_apply_at_once(settings):
    ContentSecurityPolicyMiddleware(lambda r: None).process_response(RequestFactory().get("/"), HttpResponse())
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [NONE]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF]}}
    ours, theirs = both_headers(RequestFactory().get("/"))
    assert directives(ours["Content-Security-Policy"]) == {"default-src": ["'none'"]}
    assert ours["Content-Security-Policy-Report-Only"] == theirs["Content-Security-Policy-Report-Only"]


@pytest.mark.django_db
def test_a_response_with_its_own_policy_or_a_nonce_takes_django_csps_path(settings):
    def updated():
        response = HttpResponse()
        response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return response

    ours, theirs = both_headers(RequestFactory().get("/api/v1/docs"), updated)
    assert "'unsafe-inline'" in directives(ours["Content-Security-Policy"])["style-src"]
    assert directives(ours["Content-Security-Policy"]) == directives(theirs["Content-Security-Policy"])
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}
    request = RequestFactory().get("/")
    middleware = ContentSecurityPolicyMiddleware(lambda r: None)
    middleware.process_request(request)
    nonce = str(request.csp_nonce)
    response = middleware.process_response(request, HttpResponse())
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
