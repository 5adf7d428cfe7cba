"""The site-wide limit refuses strangers but never locks out patients (issue 13, item 4).

A device that has entered successfully before (its signed cookie) and anyone with a valid
personal pass still get in while the limit refuses new devices.
"""

import datetime
from unittest import mock

import pytest
import time_machine
from django.test import Client

from members import devices, passes, passwords

from .conftest import T0, enter, plain

ARTICLE = "/members/toldts-fascia/"
pytestmark = pytest.mark.django_db


def trip_the_site_wide_limit(settings, failures: int = 3) -> None:
    settings.MEMBERS_THROTTLE = {"SITE_FAILURES": failures}
    for i in range(failures):
        assert enter(Client(REMOTE_ADDR=f"192.0.2.{i}"), "wrong-words-here-00").status_code == 403


def test_a_device_that_entered_before_still_gets_in_while_strangers_are_refused(members, settings):
    secret = plain(passwords.current(now=datetime.datetime.now(datetime.UTC)))
    patient = Client(REMOTE_ADDR="198.51.100.20")
    first = enter(patient, secret, ARTICLE)
    assert first.status_code == 302
    cookie = first.cookies[devices.COOKIE]
    assert cookie["path"] == "/members/-/enter/" and cookie["httponly"] and cookie["samesite"] == "Lax"
    patient.post("/members/-/leave/")
    assert patient.get(ARTICLE).status_code == 403

    trip_the_site_wide_limit(settings)
    stranger = enter(Client(REMOTE_ADDR="198.51.100.21"), secret, ARTICLE)
    assert stranger.status_code == 429 and "not because of anything you typed" in " ".join(stranger.text.split())

    assert enter(patient, secret, ARTICLE).status_code == 302
    assert patient.get(ARTICLE).status_code == 200
    # The same phone on another network is still the same device.
    travelling = Client(REMOTE_ADDR="203.0.113.80")
    travelling.cookies[devices.COOKIE] = patient.cookies[devices.COOKIE].value
    assert enter(travelling, secret, ARTICLE).status_code == 302


def test_a_personal_pass_opens_the_gate_for_a_stranger_while_the_limit_refuses(members, settings):
    now = datetime.datetime.now(datetime.UTC)
    secret = plain(passwords.current(now=now))
    _item, code = passes.issue(label="Chart 12", valid_until=now + datetime.timedelta(days=3), now=now)
    trip_the_site_wide_limit(settings)
    stranger = Client(REMOTE_ADDR="198.51.100.30")
    with mock.patch("members.passwords.verify_secret", side_effect=AssertionError("hashed")) as verify:
        refused = enter(stranger, secret, ARTICLE)
        wrong_code = enter(stranger, "ABCDE-FGHJK", ARTICLE)
        entered = enter(stranger, code.lower(), ARTICLE)
    verify.assert_not_called()  # no argon2 for strangers while the limit holds
    assert refused.status_code == wrong_code.status_code == 429
    assert "personal pass code from reception still works" in " ".join(refused.text.split())
    assert '<input type="password" name="secret"' in refused.text  # the form stays, for the pass
    assert entered.status_code == 302 and stranger.get(ARTICLE).status_code == 200


def test_pass_guessing_while_the_limit_refuses_is_still_limited_per_address(members, settings):
    trip_the_site_wide_limit(settings)
    settings.MEMBERS_THROTTLE = {"SITE_FAILURES": 3, "CLIENT_FAILURES": 2}
    guesser = Client(REMOTE_ADDR="198.51.100.40")
    for guess in ("ABCDE-FGHJ0", "ABCDE-FGHJ1"):
        assert enter(guesser, guess).status_code == 429
    now = datetime.datetime.now(datetime.UTC)
    _item, code = passes.issue(label="Chart 13", valid_until=now + datetime.timedelta(days=3), now=now)
    assert "from this connection" in " ".join(enter(guesser, code).text.split())  # the per-address pause


def test_a_forged_or_old_device_cookie_is_a_stranger(members, settings):
    secret = plain(passwords.current(now=datetime.datetime.now(datetime.UTC)))
    with time_machine.travel(T0, tick=False) as traveller:
        patient = Client(REMOTE_ADDR="198.51.100.50")
        assert enter(patient, secret).status_code == 302
        patient.post("/members/-/leave/")
        forged = Client(REMOTE_ADDR="198.51.100.51")
        forged.cookies[devices.COOKIE] = "made-up:value"
        traveller.shift(datetime.timedelta(days=181))
        secret = plain(passwords.current(now=datetime.datetime.now(datetime.UTC)))
        trip_the_site_wide_limit(settings)
        assert enter(forged, secret).status_code == 429
        assert enter(patient, secret).status_code == 429  # 180 days since it last entered
