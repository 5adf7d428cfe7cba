"""The WSGI fast path (caching/public_replay.py), driven at the WSGI level like granian drives it."""

import contextvars
import gzip
import io
import re
from unittest import mock

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from caching import public_replay as fastpath
from caching.public_replay import FastPath, with_fast_path
from caching.purge import purge_page_cache
from caching.tokens import page_generation
from clinic.logging import choose_request_id
from clinic.tests.wsgi_client import Clock, Counting, call
from pages.models import ConditionPage

PAGE = "/sciatica/"
SECURITY_HEADERS = (
    "content-security-policy",
    "strict-transport-security",
    "permissions-policy",
    "referrer-policy",
    "x-content-type-options",
    "x-frame-options",
    "cross-origin-opener-policy",
)


def storable_app(headers=None, status="200 OK", body=b"<p>page</p>"):
    """A stand-in for Django that always answers as if the page cache had stored the response."""
    fields = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Length": str(len(body)),
        "Cache-Control": "public, max-age=300",
        "X-Page-Cache": "miss",
        "Vary": "Accept-Encoding",
    }
    fields.update(headers or {})

    def app(environ, start_response):
        start_response(status, [(name, value) for name, value in fields.items() if value is not None])
        return [body]

    return Counting(app)


@pytest.fixture
def django_app(db):
    """Django's own WSGI handler, as clinic/wsgi.py wraps it, inside the test's transaction."""
    # Like Django's test client: the request signals must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield lambda: Counting(WSGIHandler())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def clock():
    return Clock()


@pytest.mark.django_db
def test_a_repeat_is_answered_without_django(django_app, demo_content, clock):
    inner = django_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    first = call(fast)
    second = call(fast)
    assert inner.calls == 1
    assert first.status == second.status == "200 OK"
    assert first.header("X-Page-Cache") == "miss" and second.header("X-Page-Cache") == "hit"
    assert second.body == first.body and b"Sciatica" in second.body
    third = call(fast)
    request_ids = {answer.header("X-Request-ID") for answer in (first, second, third)}
    assert len(request_ids) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in request_ids)


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["", "gzip, deflate, br"])
def test_a_fast_hit_has_the_headers_and_bytes_of_a_django_hit(django_app, demo_content, clock, settings, encoding):
    settings.SECURE_HSTS_SECONDS = 31536000  # production's HSTS (sent on https only)
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    inner = django_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    headers = {"Accept-Encoding": encoding}
    call(fast, scheme="https", headers=headers)  # fills
    by_django = call(inner, scheme="https", headers=headers)  # Django's own page-cache hit
    by_fast_path = call(fast, scheme="https", headers=headers)
    assert inner.calls == 2  # the fill and the direct call; the fast hit never reached Django
    assert by_django.header("X-Page-Cache") == by_fast_path.header("X-Page-Cache") == "hit"
    django_fields, fast_fields = by_django.fields(), by_fast_path.fields()
    assert len(by_fast_path.headers) == len(fast_fields)  # no header twice
    assert set(fast_fields) == set(django_fields)
    for name in SECURITY_HEADERS:
        assert fast_fields[name] == django_fields[name], name
    per_request = {"x-request-id", "age"}
    if encoding:  # Django pads each gzip answer with a random number of bytes (BREACH)
        per_request.add("content-length")
    assert int(fast_fields["content-length"]) == len(by_fast_path.body)
    assert {k: v for k, v in fast_fields.items() if k not in per_request} == {
        k: v for k, v in django_fields.items() if k not in per_request
    }
    assert abs(int(fast_fields["age"]) - int(django_fields["age"])) <= 1
    assert re.fullmatch(r"[0-9a-f]{32}", fast_fields["x-request-id"])
    assert fast_fields["x-request-id"] != django_fields["x-request-id"]
    assert by_fast_path.status == by_django.status == "200 OK"
    if encoding:
        assert fast_fields["content-encoding"] == "gzip"
        assert gzip.decompress(by_fast_path.body) == gzip.decompress(by_django.body)
    else:
        assert by_fast_path.body == by_django.body


@pytest.mark.django_db
def test_gzip_and_identity_are_separate_entries(django_app, demo_content, clock):
    inner = django_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    zipped = call(fast, headers={"Accept-Encoding": "gzip"})
    plain = call(fast)
    assert inner.calls == 2  # the identity request did not get the gzip entry
    assert zipped.header("Content-Encoding") == "gzip" and plain.header("Content-Encoding") is None
    assert call(fast, headers={"Accept-Encoding": "gzip"}).body == zipped.body
    assert call(fast).body == plain.body
    assert inner.calls == 2
    assert gzip.decompress(zipped.body) == plain.body


@pytest.mark.django_db
def test_a_session_cookie_is_never_answered_from_the_fast_path(django_app, demo_content, clock):
    inner = django_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    call(fast)
    with_session = call(fast, headers={"Cookie": f"csrftoken=x; {settings.SESSION_COOKIE_NAME}=abc"})
    assert inner.calls == 2
    assert with_session.header("X-Page-Cache") is None
    assert "private" in with_session.header("Cache-Control")
    call(fast, headers={"Cookie": "csrftoken=x"})  # other cookies do not matter to the page cache
    assert inner.calls == 2


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"query": "uncached=1"},
        {"query": "&"},  # an empty QueryDict to Django, still any query string at all here
        {"method": "POST"},
        {"method": "PUT"},
        {"headers": {"Cookie": "sessionid=abc"}},
        *({"path": prefix + "page/"} for prefix in settings.PAGE_CACHE_EXCLUDED_PREFIXES),
    ],
)
def test_requests_the_page_cache_refuses_always_reach_django(clock, request_kwargs):
    inner = storable_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    call(fast, **request_kwargs)
    call(fast, **request_kwargs)
    assert inner.calls == 2
    assert len(fast) == 0


@pytest.mark.parametrize(
    "answer",
    [
        {"headers": {"Cache-Control": "private, max-age=300"}},
        {"headers": {"Cache-Control": "public, no-store"}},
        {"headers": {"Cache-Control": None}},
        {"headers": {"Set-Cookie": "sessionid=abc; HttpOnly"}},
        {"headers": {"X-Page-Cache": None}},  # the page cache did not store it
        {"headers": {"Vary": "Accept-Encoding, Cookie"}},
        {"headers": {"Content-Encoding": "br"}},
        {"status": "404 Not Found"},
        {"status": "301 Moved Permanently"},
        {"headers": {"Content-Length": "1"}},  # not the bytes Django said it sent
    ],
)
def test_only_responses_the_page_cache_stored_are_kept(clock, answer):
    inner = storable_app(**answer)
    fast = FastPath(inner, seconds=1, clock=clock)
    call(fast)
    call(fast)
    assert inner.calls == 2
    assert len(fast) == 0


def test_the_stand_in_is_stored_so_the_refusals_above_mean_something(clock):
    inner = storable_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    call(fast)
    assert call(fast).body == b"<p>page</p>"
    assert inner.calls == 1


def test_entries_expire_after_the_configured_seconds(clock):
    inner = storable_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    call(fast)
    clock.now += 0.99
    call(fast)
    assert inner.calls == 1
    clock.now += 0.01
    call(fast)
    assert inner.calls == 2


def test_head_reads_a_get_entry_with_headers_only_and_never_fills(clock):
    inner = storable_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    call(fast, method="HEAD")
    call(fast, method="HEAD")
    assert inner.calls == 2 and len(fast) == 0
    get = call(fast)
    head = call(fast, method="HEAD")
    assert inner.calls == 3
    assert head.body == b"" and head.header("Content-Length") == get.header("Content-Length") == "11"


def test_zero_seconds_turns_the_fast_path_off(clock, settings):
    inner = storable_app()
    fast = FastPath(inner, seconds=0, clock=clock)
    call(fast)
    call(fast)
    assert inner.calls == 2
    settings.FASTPATH_SECONDS = 0
    assert with_fast_path(inner, choose_request_id=choose_request_id) is inner
    settings.FASTPATH_SECONDS = 1
    assert isinstance(with_fast_path(inner, choose_request_id=choose_request_id), FastPath)


def test_memory_is_capped_by_entries_and_bytes(clock):
    inner = storable_app(body=b"x" * 1000)
    fast = FastPath(inner, seconds=60, max_entries=2, max_bytes=10**6, clock=clock)
    for path in ("/a/", "/b/", "/c/"):
        call(fast, path)
    assert len(fast) == 2
    call(fast, "/b/")
    call(fast, "/c/")
    assert inner.calls == 3
    call(fast, "/a/")  # the oldest made room
    assert inner.calls == 4

    small = FastPath(storable_app(body=b"x" * 1000), seconds=60, max_entries=100, max_bytes=4000, clock=clock)
    for index in range(10):
        call(small, f"/{index}/")
        assert small.stored_bytes <= 4000
    assert 1 <= len(small) <= 3
    too_big = FastPath(storable_app(body=b"x" * 5000), seconds=60, max_bytes=4000, clock=clock)
    call(too_big)
    assert len(too_big) == 0 and too_big.stored_bytes == 0


def test_expired_entries_make_room_first(clock):
    fast = FastPath(storable_app(), seconds=1, max_entries=100, clock=clock)
    call(fast, "/a/")
    call(fast, "/b/")
    clock.now += 5
    call(fast, "/c/")
    assert len(fast) == 1


@pytest.mark.django_db
def test_an_unknown_host_gets_djangos_400_and_never_an_entry(django_app, demo_content, clock, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    inner = django_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    page = call(fast)
    assert call(fast).body == page.body and inner.calls == 1
    for host in ("evil.example", "evil.example", "testserver.evil.example"):
        answer = call(fast, host=host)
        assert answer.status.startswith("400 ")
        assert b"Sciatica" not in answer.body
    assert inner.calls == 4
    assert len(fast) == 1


@pytest.mark.django_db
def test_a_publish_in_this_process_shows_at_once(django_app, demo_content, clock):
    inner = django_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    call(fast)
    page = ConditionPage.objects.get(slug="sciatica")
    page.title = "Sciatica, revised"
    page.save_revision().publish()
    assert b"Sciatica, revised" in call(fast).body


@pytest.mark.django_db
def test_a_publish_in_another_process_shows_within_the_bound(django_app, demo_content, clock):
    inner = django_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    call(fast)
    # Another process's publish purges only the shared page cache; our entries stay.
    with mock.patch.object(fastpath, "clear_local"):
        page = ConditionPage.objects.get(slug="sciatica")
        page.title = "Sciatica, revised"
        page.save_revision().publish()
    clock.now += 0.5
    assert b"Sciatica, revised" not in call(fast).body  # stale, within the bound
    clock.now += 0.5
    assert b"Sciatica, revised" in call(fast).body


@pytest.mark.django_db
def test_a_page_rendered_before_another_process_purged_is_gone_after_the_bound(django_app, demo_content, clock):
    """Another process publishes while this one renders the old page: the fast path may replay
    that answer for its bound (it cannot see the purge), but Django never serves it again."""
    real_serve = ConditionPage.serve

    def serve_then_publish_elsewhere(self, request, *args, **kwargs):
        response = real_serve(self, request, *args, **kwargs)
        response.render()
        page = ConditionPage.objects.get(slug="sciatica")
        page.title = "Sciatica, revised"
        revision = page.save_revision()
        # Another process: our fast-path entries stay, and the running request's state is its own.
        with mock.patch.object(fastpath, "clear_local"):
            contextvars.copy_context().run(revision.publish)
        return response

    inner = django_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    with mock.patch.object(ConditionPage, "serve", autospec=True, side_effect=serve_then_publish_elsewhere):
        assert b"Sciatica, revised" not in call(fast).body
    clock.now += 0.5
    assert b"Sciatica, revised" not in call(fast).body  # stale, within the bound
    clock.now += 0.5
    fresh = call(fast)
    assert b"Sciatica, revised" in fresh.body and fresh.header("X-Page-Cache") == "miss"


@pytest.mark.django_db
def test_without_a_readable_generation_the_fast_path_keeps_nothing(django_app, demo_content, clock):
    inner = django_app()
    fast = FastPath(inner, seconds=1, clock=clock)
    with mock.patch.object(page_generation, "current", return_value=None):
        answers = [call(fast) for _ in range(2)]
    assert inner.calls == 2 and len(fast) == 0
    assert all(answer.status == "200 OK" and answer.header("X-Page-Cache") is None for answer in answers)


def test_a_purge_during_a_request_keeps_its_answer_out(clock):
    inner = storable_app()

    def purging(environ, start_response):
        answer = inner(environ, start_response)
        purge_page_cache()  # a publish lands while this request renders the old page
        return answer

    fast = FastPath(purging, seconds=1, clock=clock)
    call(fast)
    assert len(fast) == 0
    fast.app = inner
    call(fast)
    assert len(fast) == 1


def test_a_trusted_proxys_request_id_is_echoed_on_a_hit(clock, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    fast = FastPath(storable_app(), seconds=1, clock=clock, choose_request_id=choose_request_id)
    call(fast)
    offered = "f" * 32
    assert call(fast, headers={"X-Request-ID": offered}).header("X-Request-ID") == offered
    settings.TRUSTED_PROXY_COUNT = 0
    untrusted = FastPath(storable_app(), seconds=1, clock=clock, choose_request_id=choose_request_id)
    call(untrusted)
    assert call(untrusted, headers={"X-Request-ID": offered}).header("X-Request-ID") != offered


@pytest.mark.parametrize("forwarded", [None, "https", "http", "https, http", " https ", "HTTPS", "evil"])
@pytest.mark.parametrize("url_scheme", ["http", "https"])
def test_the_scheme_in_the_key_is_djangos(settings, clock, forwarded, url_scheme):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    fast = FastPath(storable_app(), seconds=1, clock=clock)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.url_scheme": url_scheme, "wsgi.input": io.BytesIO()}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_PROTO"] = forwarded
    assert fast.location.scheme(environ) == WSGIRequest(environ).scheme


def test_the_wsgi_entry_point_serves_through_the_fast_path():
    from caching.members_replay import MembersFastPath
    from clinic import wsgi

    # Granted members pages first (it lets a request without a session through at once), then
    # public page-cache hits, then Django.
    assert isinstance(wsgi.application, MembersFastPath)
    assert isinstance(wsgi.application.app, FastPath)
    assert wsgi.application.app.app is wsgi.django_application
    assert isinstance(wsgi.django_application, WSGIHandler)
