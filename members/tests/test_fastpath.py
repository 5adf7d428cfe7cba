"""The members WSGI fast path (caching/members_replay.py), driven at the WSGI level like granian drives it.

What must hold: a replay happens only for a session and page Django itself answered under the
current access version; every revocation or publish reaches Django on the very next request, on
every process; the replay is Django's answer but for the CSRF token (valid for the same cookie)."""

import datetime
import gzip
import http.cookies
import re
import time
import urllib.parse
import zlib
from importlib import import_module

import pytest
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from caching import csrf_mask, gzip_splice, stamps
from caching.csrf_mask import is_csrf_secret, mask_secret
from caching.gzip_splice import Page
from caching.members_replay import MembersFastPath
from clinic.tests.wsgi_client import Clock, Counting, call
from members import passes, passwords
from members.access import SESSION_KEY
from members.access_state import VERSION_KEY
from members.models import MembersArticlePage

from .conftest import plain

ARTICLE = "/members/toldts-fascia/"
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def now():
    return datetime.datetime.now(datetime.UTC)


@pytest.fixture
def inner(db):
    """Django's WSGI handler inside the test's transaction, counting the requests it answers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield Counting(WSGIHandler())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fast(inner):
    return MembersFastPath(inner)


def set_cookies(answer) -> dict:
    jar = http.cookies.SimpleCookie()
    for name, value in answer.headers:
        if name.lower() == "set-cookie":
            jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


def granted_cookies(app, secret: str | None = None) -> dict:
    """A session granted through the real gate, over WSGI: {"sessionid": ..., "csrftoken": ...}.

    (Django's test client would reconnect the signal that closes the test's connection.)"""
    gate = call(app, "/members/")
    assert gate.status.startswith("403")
    cookies = set_cookies(gate)
    form = urllib.parse.urlencode(
        {
            "secret": secret or plain(passwords.current(now=now())),
            "next": "/",
            "csrfmiddlewaretoken": token_of(gate.body),
        }
    )
    entered = call(
        app,
        "/members/-/enter/",
        method="POST",
        headers={**cookie_header(cookies), "Content-Type": "application/x-www-form-urlencoded"},
        body=form.encode(),
    )
    assert entered.status.startswith("302"), entered.status
    return {**cookies, **set_cookies(entered)}


def cookie_header(cookies: dict) -> dict:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


def get(app, cookies, path=ARTICLE, **kwargs):
    headers = {**cookie_header(cookies), **kwargs.pop("headers", {})}
    return call(app, path, headers=headers, **kwargs)


def warm(fast, cookies, path=ARTICLE):
    """Routing, then the stored copy (which the fast path remembers); then a replay."""
    for _ in range(2):
        assert get(fast, cookies, path).status.startswith("200")
    calls = fast.app.calls
    replay = get(fast, cookies, path)
    assert replay.status.startswith("200") and fast.app.calls == calls, "expected a replay"
    return replay


def token_of(body: bytes) -> str:
    return TOKEN.search(body).group(1).decode()


def without_token(body: bytes) -> bytes:
    return TOKEN.sub(b"", body)


@pytest.mark.django_db
def test_a_replay_is_djangos_answer_but_for_the_token(fast, members):
    cookies = granted_cookies(fast)
    assert get(fast, cookies).status.startswith("200")
    django = get(fast, cookies)  # from the stored copy: the fast path remembers it
    calls = fast.app.calls
    replay = get(fast, cookies)
    assert fast.app.calls == calls
    assert replay.status == django.status
    assert without_token(replay.body) == without_token(django.body)
    assert b"Toldt" in replay.body
    assert token_of(replay.body) != token_of(django.body)
    assert _unmask_cipher_token(token_of(replay.body)) == cookies["csrftoken"]
    per_response = {"x-request-id", "set-cookie", "content-length"}
    replayed = {k: v for k, v in replay.fields().items() if k not in per_response}
    assert replayed == {k: v for k, v in django.fields().items() if k not in per_response}
    assert "private" in replay.header("Cache-Control") and "no-store" in replay.header("Cache-Control")
    assert replay.header("Content-Security-Policy") and replay.header("Content-Length") == str(len(replay.body))
    assert replay.header("X-Request-ID") != django.header("X-Request-ID")


@pytest.mark.django_db
def test_the_replayed_token_leaves_the_area_and_the_old_key_is_refused_everywhere(inner, members):
    one, other = MembersFastPath(inner), MembersFastPath(inner)  # two worker processes
    cookies = granted_cookies(inner)
    warm(one, cookies)
    warm(other, cookies)
    token = token_of(get(one, cookies).body)
    left = call(
        one,
        "/members/-/leave/",
        method="POST",
        headers={**cookie_header(cookies), "Content-Type": "application/x-www-form-urlencoded"},
        body=f"csrfmiddlewaretoken={token}".encode(),
    )
    assert left.status.startswith("200"), left.status  # Django checked the replayed token
    for process in (one, other):
        assert get(process, cookies).status.startswith("403")


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["gzip", "gzip, deflate, br"])
def test_gzip_replays_decompress_to_the_page_with_a_valid_token(fast, members, encoding):
    cookies = granted_cookies(fast)
    plain_replay = warm(fast, cookies)
    calls = fast.app.calls
    replay = get(fast, cookies, headers={"Accept-Encoding": encoding})
    assert fast.app.calls == calls and replay.header("Content-Encoding") == "gzip"
    body = gzip.decompress(replay.body)
    assert without_token(body) == without_token(plain_replay.body)
    assert _unmask_cipher_token(token_of(body)) == cookies["csrftoken"]
    # The token travels uncompressed, in a stored block of its own (never compressed with the page).
    assert token_of(body).encode() in replay.body


def test_a_page_with_several_markers_and_every_size_round_trips_through_gzip():
    for html in ("M", "aMb", "M" * 3, "<p>x</p>M" * 50 + "end", "start" + "z" * 70_000 + "M" + "q" * 10):
        page = Page.build(version="v", status="200 OK", headers=[], html=html, marker="M")
        for csrf_input in (b"", b"<input value=abc>"):
            assert gzip.decompress(page.gzip_body(csrf_input)) == html.replace("M", csrf_input.decode()).encode()
            assert page.body(csrf_input) == html.replace("M", csrf_input.decode()).encode()


@given(st.binary(max_size=3000), st.integers(min_value=0, max_value=2**32 - 1))
def test_the_crc_carry_is_zlibs_crc_from_any_start(data, start):
    assert gzip_splice.CrcCarry(data)(start) == zlib.crc32(data, start)


@given(st.text(alphabet=csrf_mask._CHARS, min_size=32, max_size=32))
def test_the_mask_is_djangos_format_and_unmasks_to_the_secret(secret):
    token = mask_secret(secret)
    assert len(token) == 64 and is_csrf_secret(token[:32]) and is_csrf_secret(token[32:])
    assert _unmask_cipher_token(token) == secret


def test_masks_are_random_and_cover_the_alphabet():
    masks = {mask_secret("a" * 32)[:32] for _ in range(200)}
    assert len(masks) == 200
    assert set("".join(masks)) == set(csrf_mask._CHARS)


@pytest.mark.parametrize("value", [None, "", "a" * 31, "a" * 33, "a" * 31 + "-", "a" * 64])
def test_only_a_secret_django_would_keep_counts_as_one(value):
    assert not is_csrf_secret(value)


@pytest.mark.django_db
def test_a_password_rotation_without_grace_reaches_django_at_once(fast, members):
    cookies = granted_cookies(fast)
    warm(fast, cookies)
    passwords.rotate_now(now=now(), grace=datetime.timedelta(0))
    calls = fast.app.calls
    assert get(fast, cookies).status.startswith("403")
    assert fast.app.calls == calls + 1


@pytest.mark.django_db
def test_a_revoked_pass_reaches_django_at_once(fast, members):
    item, code = passes.issue(label="Test patient", valid_until=now() + datetime.timedelta(days=7), now=now())
    cookies = granted_cookies(fast, code)
    warm(fast, cookies)
    passes.revoke(item=item, now=now())
    assert get(fast, cookies).status.startswith("403")


@pytest.mark.django_db
def test_a_publish_shows_at_once(fast, members):
    cookies = granted_cookies(fast)
    warm(fast, cookies)
    article = MembersArticlePage.objects.get(slug="toldts-fascia")
    article.title = "A new title from the clinic"
    article.save_revision().publish()
    answer = get(fast, cookies)
    assert b"A new title from the clinic" in answer.body


@pytest.mark.django_db
def test_a_grant_is_remembered_no_longer_than_the_access_bound(inner, members, settings):
    clock = Clock()
    clock.now = time.time()
    fast = MembersFastPath(inner, clock=clock)
    cookies = granted_cookies(inner)
    warm(fast, cookies)
    clock.now += settings.MEMBERS_ACCESS_CACHE_SECONDS + 1
    calls = fast.app.calls
    assert get(fast, cookies).status.startswith("200")
    assert fast.app.calls == calls + 1  # Django asked again


@pytest.mark.django_db
def test_a_session_granted_without_a_fixed_end_is_always_asked_about(fast, members, settings):
    cookies = granted_cookies(fast)
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=cookies["sessionid"])
    session.set_expiry(None)  # as sessions granted before grants had a fixed end
    session.save()
    calls = fast.app.calls
    for _ in range(3):
        assert get(fast, cookies).status.startswith("200")
    assert fast.app.calls == calls + 3


@pytest.mark.django_db
def test_staff_signing_in_from_a_granted_session_retires_its_old_key(fast, members, reception_user):
    cookies = granted_cookies(fast)
    warm(fast, cookies)
    client = Client()
    client.cookies["sessionid"] = cookies["sessionid"]
    client.force_login(reception_user)  # cycles the key; the old one must stop working everywhere
    assert SESSION_KEY in client.session
    calls = fast.app.calls
    get(fast, cookies)
    assert fast.app.calls == calls + 1


@pytest.mark.django_db
def test_staff_never_get_a_replay(fast, members, reception_user):
    client = Client()
    client.force_login(reception_user)
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": "a" * 32}
    for _ in range(4):
        get(fast, cookies)
    assert fast.app.calls == 4
    assert fast.sizes[0] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"query": "x=1"},
        {"method": "POST"},
        {"cookies": {"csrftoken": None}},
        {"cookies": {"csrftoken": "short"}},
        {"cookies": {"sessionid": "not-a-granted-session"}},
    ],
)
def test_requests_that_do_not_fit_reach_django(fast, members, change):
    cookies = granted_cookies(fast)
    warm(fast, cookies)
    changed = {k: v for k, v in {**cookies, **change.get("cookies", {})}.items() if v is not None}
    calls = fast.app.calls
    get(fast, changed, query=change.get("query", ""), method=change.get("method", "GET"))
    assert fast.app.calls == calls + 1


@pytest.mark.django_db
def test_head_is_replayed_without_a_body(fast, members):
    cookies = granted_cookies(fast)
    replay = warm(fast, cookies)
    calls = fast.app.calls
    head = get(fast, cookies, method="HEAD")
    assert fast.app.calls == calls and head.body == b""
    assert head.header("Content-Length") == str(len(replay.body))


@pytest.mark.django_db
def test_without_a_version_to_compare_with_django_answers(fast, members, settings):
    from django.core.cache import caches

    cookies = granted_cookies(fast)
    warm(fast, cookies)
    caches[settings.PAGE_CACHE_ALIAS].delete(VERSION_KEY)  # as after a purge, or in an outage (reads miss)
    calls = fast.app.calls
    assert get(fast, cookies).status.startswith("200")
    assert fast.app.calls == calls + 1


@pytest.mark.django_db
def test_an_answer_that_sets_a_session_cookie_is_not_remembered(fast, members):
    cookies = granted_cookies(fast)
    warm(fast, cookies)
    # An unknown key: Django answers with the gate and a new session; nothing of it is kept.
    stranger = {"sessionid": "x" * 32, "csrftoken": cookies["csrftoken"]}
    for _ in range(3):
        answer = get(fast, stranger)
        assert answer.status.startswith("403")
    assert fast.sizes[0] == 1 and "x" * 32 not in fast._sessions


def test_the_version_reader_reads_the_file_cache_as_django_does(tmp_path):
    from django.core.cache.backends.filebased import FileBasedCache

    cache = FileBasedCache(str(tmp_path), {})
    read = stamps.VersionReader(cache, VERSION_KEY)
    assert read.path is not None and read() is None  # nothing written yet
    cache.set(VERSION_KEY, "first", None)
    assert read() == cache.get(VERSION_KEY) == "first"
    FileBasedCache(str(tmp_path), {}).set(VERSION_KEY, "second", None)  # another process
    assert read() == "second"
    cache.set(VERSION_KEY, "expiring", 1)
    with time_machine.travel(time.time() + 5, tick=False):
        assert read() is None and cache.get(VERSION_KEY) is None
    cache.clear()  # a purge
    assert read() is None


def test_the_version_reader_sees_every_new_file_and_keeps_one_open(tmp_path):
    """The reader compares the file's inode with the one it holds open: a new file of the same
    size and modification time, and a long run of rewrites by another process, are each read."""
    import os

    from django.core.cache.backends.filebased import FileBasedCache

    mine, theirs = FileBasedCache(str(tmp_path), {}), FileBasedCache(str(tmp_path), {})
    read = stamps.VersionReader(mine, VERSION_KEY)
    mine.set(VERSION_KEY, "aaaaaaaa", None)
    assert read() == "aaaaaaaa"
    stamp = os.stat(read.path)
    theirs.set(VERSION_KEY, "bbbbbbbb", None)
    os.utime(read.path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert os.stat(read.path).st_size == stamp.st_size  # only the inode tells the files apart
    assert read() == "bbbbbbbb"
    open_files = len(os.listdir("/proc/self/fd"))
    for number in range(300):
        theirs.set(VERSION_KEY, f"{number:08d}", None)
        assert read() == f"{number:08d}"
        assert read() == f"{number:08d}"
    assert len(os.listdir("/proc/self/fd")) == open_files
