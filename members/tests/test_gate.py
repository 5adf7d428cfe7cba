"""Integration tests of the members gate: access, grants, rotation, passes, throttling, headers, leaks."""

import datetime
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.test import Client
from wagtail.models import Page

from appointments import outbox
from members import passes, passwords
from members.models import DailyAccessCount

from .conftest import T0, enter, plain

DAY = datetime.timedelta(days=1)
ARTICLE = "/members/toldts-fascia/"


def assert_private(response):
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control
    assert "noindex" in response["X-Robots-Tag"]
    assert "X-Page-Cache" not in response


@pytest.mark.django_db
def test_without_access_every_members_page_shows_the_gate_and_leaks_nothing(client, members):
    for page in [Page.objects.get(slug="members"), *members]:
        response = client.get(page.url)
        assert response.status_code == 403, page.url
        assert_private(response)
        # The only trace of what was asked for is the address the visitor sent us.
        html = response.text.replace(f'value="{page.url}"', "")
        assert 'action="/members/-/enter/"' in html
        assert '<label for="id_secret">' in html
        assert "given at the clinic" in html
        for article in members:
            assert article.title not in html
            assert article.summary not in html
        assert "Toldt" not in html and "piriformis" not in html.lower()


@pytest.mark.django_db
def test_unknown_and_known_addresses_below_the_area_look_the_same(client, members):
    known = client.get(ARTICLE)
    unknown = client.get("/members/no-such-article/")
    assert known.status_code == unknown.status_code == 403
    assert "no-such-article" in unknown.text  # only as the address to come back to


@pytest.mark.django_db
def test_wrong_password_is_announced_and_counts_as_a_failure(client, members):
    passwords.current(now=datetime.datetime.now(datetime.UTC))
    response = enter(client, "wrong-words-here-00", ARTICLE)
    assert response.status_code == 403
    assert_private(response)
    assert 'role="alert"' in response.text and 'href="#id_secret"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert DailyAccessCount.objects.get().failures == 1
    empty = enter(client, "", ARTICLE)
    assert empty.status_code == 400 and "Enter the password" in empty.text


@pytest.mark.django_db
def test_right_password_grants_the_session_and_redirects_back(client, members):
    secret = plain(passwords.current(now=datetime.datetime.now(datetime.UTC)))
    before = client.cookies.get("sessionid")
    response = enter(client, secret.upper().replace("-", " "), ARTICLE)
    assert response.status_code == 302 and response["Location"] == ARTICLE
    assert client.cookies["sessionid"].value != (before.value if before else None)  # new session key
    page = client.get(ARTICLE)
    assert page.status_code == 200
    assert_private(page)
    assert "Toldt’s fascia (strongly involved on the right side)" in page.text
    assert "Important Notes" in page.text  # the clinic's disclaimer on every article
    assert "Leave members area" in page.text
    index = client.get("/members/")
    assert index.status_code == 200 and all(article.title in index.text for article in members)
    assert DailyAccessCount.objects.get().entries == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_redirect_after_entry_stays_on_this_site(client, members, target):
    secret = plain(passwords.current(now=datetime.datetime.now(datetime.UTC)))
    response = enter(client, secret, target)
    assert response.status_code == 302 and response["Location"] == "/members/"


@pytest.mark.django_db
def test_a_long_address_to_come_back_to_never_blocks_entry(client, members):
    """The gate keeps the address asked for in a hidden field the patient cannot see: it must never fail the form."""
    long_path = "/members/" + "x" * 600 + "/"  # e.g. a link an email program mangled
    gate = client.get(long_path)
    assert gate.status_code == 403 and f'value="{long_path}"' in gate.text
    wrong = enter(client, "wrong-words-here-00", long_path)
    assert wrong.status_code == 403 and "did not work" in wrong.text
    secret = plain(passwords.current(now=datetime.datetime.now(datetime.UTC)))
    response = enter(client, secret, long_path)
    assert response.status_code == 302 and response["Location"] == "/members/"


@pytest.mark.django_db
def test_leaving_ends_the_grant(client, members):
    enter(client, plain(passwords.current(now=datetime.datetime.now(datetime.UTC))), ARTICLE)
    assert client.get(ARTICLE).status_code == 200
    left = client.post("/members/-/leave/")
    assert left.status_code == 200 and "You have left" in left.text
    assert_private(left)
    assert client.get(ARTICLE).status_code == 403
    assert client.get("/members/-/leave/").status_code == 405


@pytest.mark.django_db
def test_rotation_closes_the_old_session_after_grace_on_its_next_request(members):
    with time_machine.travel(T0, tick=False):
        old = passwords.current(now=T0)
        patient = Client()
        enter(patient, plain(old), ARTICLE)
        assert patient.get(ARTICLE).status_code == 200
    with time_machine.travel(T0 + DAY, tick=False):
        passwords.rotate_now(now=T0 + DAY, grace=2 * DAY)
        assert patient.get(ARTICLE).status_code == 200  # in grace
        latecomer = Client()
        assert enter(latecomer, plain(old), ARTICLE).status_code == 302  # old password still opens it
    with time_machine.travel(T0 + 3 * DAY, tick=False):
        assert patient.get(ARTICLE).status_code == 403
        assert latecomer.get(ARTICLE).status_code == 403
        assert enter(Client(), plain(old), ARTICLE).status_code == 403


@pytest.mark.django_db
def test_rotate_now_with_no_grace_revokes_everyone_at_once(members):
    now = datetime.datetime.now(datetime.UTC)
    patient = Client()
    enter(patient, plain(passwords.current(now=now)), ARTICLE)
    assert patient.get(ARTICLE).status_code == 200
    new = passwords.rotate_now(now=now, grace=datetime.timedelta(0)).password
    assert patient.get(ARTICLE).status_code == 403
    assert enter(patient, plain(new), ARTICLE).status_code == 302
    assert patient.get(ARTICLE).status_code == 200


@pytest.mark.django_db
def test_automatic_rotation_happens_at_the_gate_without_cron(members):
    with time_machine.travel(T0, tick=False):
        first = passwords.current(now=T0)
    with time_machine.travel(T0 + 31 * DAY, tick=False):
        # Nobody rotated; the first check after the due date does.
        assert enter(Client(), plain(first), ARTICLE).status_code == 302  # previous, in grace
        current = passwords.current(now=T0 + 31 * DAY)
        assert current.generation == 2
    with time_machine.travel(T0 + 38 * DAY, tick=False):
        assert enter(Client(), plain(first), ARTICLE).status_code == 403


@pytest.mark.django_db
def test_personal_pass_opens_the_area_until_revoked_or_expired(members):
    with time_machine.travel(T0, tick=False):
        item, code = passes.issue(label="Chart 55", valid_until=T0 + 2 * DAY, now=T0)
        patient = Client()
        assert enter(patient, code, ARTICLE).status_code == 302
        assert patient.get(ARTICLE).status_code == 200
        passes.revoke(item=item, now=T0)
        assert patient.get(ARTICLE).status_code == 403
        other, other_code = passes.issue(label="Chart 56", valid_until=T0 + 2 * DAY, now=T0)
        second = Client()
        enter(second, other_code, ARTICLE)
        assert second.get(ARTICLE).status_code == 200
    with time_machine.travel(T0 + 2 * DAY, tick=False):
        assert second.get(ARTICLE).status_code == 403
        assert enter(Client(), other_code, ARTICLE).status_code == 403


@pytest.mark.django_db
def test_throttled_attempts_get_429_and_do_no_hashing(client, members, settings):
    passwords.current(now=datetime.datetime.now(datetime.UTC))
    for _ in range(10):
        assert enter(client, "wrong-words-here-00").status_code == 403
    with (
        mock.patch("members.passwords.verify_secret", side_effect=AssertionError("hashed")) as verify,
        mock.patch("members.passes.digest", side_effect=AssertionError("hashed")),
    ):
        response = enter(client, "wrong-words-here-00")
        again = enter(client, "wrong-words-here-00")
    verify.assert_not_called()
    assert response.status_code == 429 and again.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "ask at reception" in response.text and 'role="alert"' in response.text
    assert_private(response)
    counts = DailyAccessCount.objects.get()
    assert (counts.failures, counts.throttled) == (10, 1)
    # Another client is not affected.
    assert enter(Client(REMOTE_ADDR="192.0.2.99"), "wrong-words-here-00").status_code == 403


@pytest.mark.django_db
def test_forwarded_for_is_ignored_without_a_trusted_proxy(members, settings):
    passwords.current(now=datetime.datetime.now(datetime.UTC))
    client = Client()
    for i in range(10):
        enter(client, "wrong-words-here-00", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    assert enter(client, "x-y-z-00", HTTP_X_FORWARDED_FOR="198.51.100.77").status_code == 429
    settings.TRUSTED_PROXY_COUNT = 1
    assert enter(client, "x-y-z-00", HTTP_X_FORWARDED_FOR="198.51.100.77").status_code == 403


@pytest.mark.django_db
def test_throttle_messages_say_who_is_paused_and_for_how_long_in_plain_words(client, members, settings):
    passwords.current(now=datetime.datetime.now(datetime.UTC))
    with time_machine.travel(T0, tick=False) as traveller:
        for _ in range(10):
            enter(client, "wrong-words-here-00")
        assert "try again in 15 minutes." in " ".join(enter(client, "x").text.split())
        traveller.shift(datetime.timedelta(minutes=14, seconds=30))
        last = enter(client, "x")
        assert last.status_code == 429 and int(last["Retry-After"]) == 30
        text = " ".join(last.text.split())
        assert "try again in 1 minute." in text and "1 minutes" not in text
        # Everyone is paused: a patient who typed nothing wrong is not told it was their connection.
        settings.MEMBERS_THROTTLE = {"SITE_FAILURES": 1}
        assert enter(Client(REMOTE_ADDR="192.0.2.66"), "wrong-words-here-00").status_code == 403
        bystander = enter(Client(REMOTE_ADDR="192.0.2.77"), "their-right-words-11")
        text = " ".join(bystander.text.split())
        assert bystander.status_code == 429 and "not because of anything you typed" in text
        assert "from this connection" not in text


@pytest.mark.django_db
def test_site_wide_limit_mails_the_admins_once(members, settings):
    settings.ADMINS = [("Clinic admin", "admin@clinic.example")]
    settings.MEMBERS_THROTTLE = {"SITE_FAILURES": 5}
    passwords.current(now=datetime.datetime.now(datetime.UTC))
    statuses = [enter(Client(REMOTE_ADDR=f"192.0.2.{i}"), "wrong-words-here-00").status_code for i in range(8)]
    assert statuses[:5] == [403] * 5 and statuses[5:] == [429] * 3
    assert mail.outbox == []  # queued in the outbox, sent by the worker
    assert outbox.drain() == 1
    assert len(mail.outbox) == 1 and "failed password attempts" in mail.outbox[0].subject
    assert "192.0.2" not in mail.outbox[0].body


@pytest.mark.django_db
def test_staff_with_the_members_permission_may_read_members_pages(client, members, reception_user, editor_user):
    client.force_login(editor_user)
    assert client.get(ARTICLE).status_code == 403  # editing rights alone are not enough
    client.force_login(reception_user)
    assert client.get(ARTICLE).status_code == 200


@pytest.mark.django_db
def test_members_pages_never_enter_the_page_cache(client, members):
    enter(client, plain(passwords.current(now=datetime.datetime.now(datetime.UTC))), ARTICLE)
    for _ in range(2):
        response = client.get(ARTICLE)
        assert response.status_code == 200 and "X-Page-Cache" not in response
    anonymous = Client()
    for _ in range(2):
        assert anonymous.get(ARTICLE).status_code == 403


@pytest.mark.django_db
def test_sitemap_search_and_listings_leak_no_article(client, members):
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "/sciatica/" in sitemap  # the sitemap works and lists public pages
    assert "/members/" not in sitemap
    for query in ("Toldt", "Visceral piriformis reflex mechanisms", "Members area", "sacral nerve plexus"):
        urls = [result.url for result in Page.objects.live().search(query)]
        assert not [url for url in urls if url.startswith("/members/")], (query, urls)
    assert [page.url for page in Page.objects.live().search("Sciatica")] == ["/sciatica/"]  # search works
    home = client.get("/").text
    sciatica = client.get("/sciatica/").text
    for article in members:
        assert f'href="{article.url}"' not in home and f'href="{article.url}"' not in sciatica
    assert 'href="/members/"' in sciatica  # the teaser links to the members area
    assert client.get("/feed/").status_code == 404 and client.get("/members/feed/").status_code in (403, 404)


@pytest.mark.django_db
def test_gate_keeps_throttling_when_the_cache_server_is_down(client, members, settings):
    from throttling import stores

    settings.CACHES = {
        **settings.CACHES,
        "dead": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2},
        },
    }
    settings.THROTTLING = {"STORE": "redis", "CACHE_ALIAS": "dead"}
    passwords.current(now=datetime.datetime.now(datetime.UTC))
    try:
        statuses = [enter(client, "wrong-words-here-00").status_code for _ in range(11)]
    finally:
        stores.fallback.clear()
    assert statuses == [403] * 10 + [429]


@pytest.mark.django_db
def test_with_two_factor_required_staff_read_members_pages_only_after_the_second_factor(
    client, members, reception_user, settings
):
    """A staff password alone must not open what the admin keeps behind two-factor authentication."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.STAFF_2FA_REQUIRED = True
    reception_user.set_password("reception-password-123")
    reception_user.save()
    device = TOTPDevice.objects.create(user=reception_user, name="phone", confirmed=True)
    client.post("/admin/login/", {"username": "reception", "password": "reception-password-123"})
    assert client.get("/admin/members-access/").status_code == 302  # the admin asks for the code
    assert client.get(ARTICLE).status_code == 403  # and so do the members pages
    session = client.session
    session["otp_device_id"] = device.persistent_id  # what django_otp.login stores after a right code
    session.save()
    assert client.get(ARTICLE).status_code == 200
