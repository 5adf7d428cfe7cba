import json
import logging

from django.http import HttpResponse
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from clinic.logging import JsonFormatter, RequestIdFilter, RequestIdMiddleware, choose_request_id
from clinic.proxy import SharedCacheGuardMiddleware, TrustedProxyMiddleware, client_address

ips = st.ip_addresses().map(str)


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert client_address(remote_addr="10.0.0.1", forwarded_for="6.6.6.6", trusted_proxies=0) == "10.0.0.1"


@given(forged=st.lists(ips, max_size=3), client=ips, proxy=ips)
def test_one_trusted_proxy_takes_the_hop_it_appended_whatever_the_client_forged(forged, client, proxy):
    header = ", ".join([*forged, client])
    assert client_address(remote_addr=proxy, forwarded_for=header, trusted_proxies=1) == client


def test_two_trusted_proxies_take_the_second_hop_from_the_right():
    header = "6.6.6.6, 203.0.113.9, 10.0.0.2"
    assert client_address(remote_addr="10.0.0.3", forwarded_for=header, trusted_proxies=2) == "203.0.113.9"


def test_garbage_or_too_few_hops_fall_back_to_the_socket_address():
    assert client_address(remote_addr="10.0.0.3", forwarded_for="not-an-ip", trusted_proxies=1) == "10.0.0.3"
    assert client_address(remote_addr="10.0.0.3", forwarded_for="1.2.3.4", trusted_proxies=2) == "10.0.0.3"


def test_trusted_proxy_middleware_rewrites_remote_addr(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    seen = {}

    def view(request):
        seen["addr"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    TrustedProxyMiddleware(view)(request)
    assert seen["addr"] == "198.51.100.7"


def test_request_id_is_taken_from_a_trusted_proxy_only_and_must_look_sane():
    offered = "a" * 32
    assert choose_request_id(offered=offered, trust_proxy=True) == offered
    assert choose_request_id(offered=offered, trust_proxy=False) != offered
    assert choose_request_id(offered="x\nInjected: 1", trust_proxy=True) != "x\nInjected: 1"
    assert len({choose_request_id(offered=None, trust_proxy=True) for _ in range(50)}) == 50


def test_every_log_record_in_a_request_carries_its_id_and_the_response_shows_it(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Collect()
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("clinic.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:

        def view(request):
            logger.info("inside the view", extra={"booking": 7})
            return HttpResponse()

        request = RequestFactory().get("/", HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")
        response = RequestIdMiddleware(view)(request)
        logger.info("after the request")
    finally:
        logger.removeHandler(handler)
    assert response["X-Request-ID"] == "0123456789abcdef0123456789abcdef"
    assert records[0].request_id == "0123456789abcdef0123456789abcdef"
    assert records[1].request_id == "-"
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == "0123456789abcdef0123456789abcdef"
    assert line["message"] == "inside the view"
    assert line["booking"] == 7
    assert line["level"] == "INFO"
    assert line["time"].endswith("Z")


def test_json_formatter_never_dumps_the_request_object():
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/x",), None)
    record.request = RequestFactory().get("/x", HTTP_COOKIE="sessionid=secret")
    record.status_code = 404
    line = json.loads(JsonFormatter().format(record))
    assert "secret" not in json.dumps(line)
    assert line["status"] == 404
    assert line["message"] == "Not Found: /x"


def _guarded(request, response):
    return SharedCacheGuardMiddleware(lambda _request: response)(request)


def test_a_response_setting_a_cookie_is_never_public():
    response = HttpResponse()
    response["Cache-Control"] = "public, max-age=300"
    response.set_cookie("sessionid", "abc")
    result = _guarded(RequestFactory().get("/sciatica/"), response)
    assert "public" not in result["Cache-Control"]
    assert "private" in result["Cache-Control"] and "no-store" in result["Cache-Control"]


def test_members_pages_are_never_public_even_if_a_view_says_so():
    response = HttpResponse()
    response["Cache-Control"] = "public, max-age=300"
    result = _guarded(RequestFactory().get("/members/article/"), response)
    assert result["Cache-Control"] == "private, no-store"


def test_a_session_dependent_response_to_a_session_is_private_but_public_pages_stay_public():
    personal = HttpResponse()
    personal["Cache-Control"] = "public, max-age=300"
    personal["Vary"] = "Cookie"
    request = RequestFactory().get("/sciatica/")
    request.COOKIES["sessionid"] = "abc"
    assert "private" in _guarded(request, personal)["Cache-Control"]

    public = HttpResponse()
    public["Cache-Control"] = "public, max-age=300"
    assert _guarded(RequestFactory().get("/sciatica/"), public)["Cache-Control"] == "public, max-age=300"


def test_the_public_article_keeps_a_shared_cache_header_and_a_request_id(client, demo_content):
    response = client.get("/sciatica/")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age" in response["Cache-Control"]
    assert len(response["X-Request-ID"]) == 32
