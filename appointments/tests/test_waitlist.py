"""The waitlist (キャンセル待ち): join, offers in join order through the outbox, first to confirm wins,
the others told it has gone, a daily offer cap, leave with one link, purge when the days pass."""

import datetime as dt
import re
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connections
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appointments import booking, outbox, waitlist
from appointments.models import Appointment, WaitlistDay, WaitlistEntry, WaitlistOffer

from .conftest import NOW, SLOT, details

DAY = SLOT.date()  # Tuesday 12 January 2027
JOIN = {"service": "initial-evaluation", "practitioner": "anyone", "week": "2027-01-11"}


def join(clinic, email, days=(DAY,), practitioner=None):
    return waitlist.join(
        service=clinic["initial"],
        practitioner=practitioner,
        days=list(days),
        name=email.split("@")[0].title(),
        email=email,
        consent=True,
    )


def offer_links(email):
    return [
        re.search(r"https?://\S+(/appointments/waitlist/offer/\S+/)", m.body).group(1)
        for m in mail.outbox
        if m.to == [email] and "A time has come free" in m.subject
    ]


def free_a_time(clinic):
    """Book alex at 10:00 on DAY, then cancel it: the time comes free."""
    booked = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    booking.change_status(appointment=booked.appointment, action="cancel")
    outbox.drain()


@pytest.mark.usefixtures("frozen")
def test_joining_by_the_page_saves_the_days_and_emails_a_leave_link(client, clinic):
    page = client.get("/appointments/waitlist/", JOIN)
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert html.count('type="checkbox" name="days"') == 7 and " checked" not in html.split("id_consent")[0]
    response = client.post(
        "/appointments/waitlist/",
        {**JOIN, "days": ["2027-01-12", "2027-01-13"], "name": "Kim", "email": "kim@example.org", "consent": "yes"},
    )
    assert response.status_code == 303
    assert "You are on the waitlist" in client.get(response["Location"]).content.decode()
    entry = WaitlistEntry.objects.get()
    assert [d.day.isoformat() for d in entry.days.all()] == ["2027-01-12", "2027-01-13"]
    assert entry.practitioner is None and entry.phone == ""
    outbox.drain()
    (message,) = mail.outbox
    assert "Tuesday 12 January 2027" in message.body and "/appointments/waitlist/leave/" in message.body
    token = re.search(r"/appointments/waitlist/leave/([^/\s]+)/", message.body).group(1)
    # Once sent, the queue keeps no readable copy of the private link.
    assert token not in str(list(DBTaskResult.objects.values_list("args_kwargs", flat=True)))


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize(
    "bad",
    [
        {"days": []},
        {"days": ["2027-01-04"]},  # today: not offered
        {"days": ["2027-01-19"]},  # another week than the page showed
        {"days": ["someday"]},
        {"consent": ""},
        {"email": "nope"},
    ],
)
def test_bad_joins_are_400_and_save_nothing(client, clinic, bad):
    post = {**JOIN, "days": ["2027-01-12"], "name": "Kim", "email": "kim@example.org", "consent": "yes", **bad}
    response = client.post("/appointments/waitlist/", post)
    assert response.status_code == 400 and "There is a problem" in response.content.decode()
    assert WaitlistEntry.objects.count() == 0 and DBTaskResult.objects.count() == 0


@pytest.mark.usefixtures("frozen")
def test_a_freed_time_is_offered_in_join_order_and_the_first_to_confirm_gets_it(client, clinic):
    join(clinic, "first@example.org")
    join(clinic, "second@example.org")
    join(clinic, "other-day@example.org", days=[DAY + dt.timedelta(days=1)])
    mail.outbox.clear()
    free_a_time(clinic)
    offers = list(WaitlistOffer.objects.order_by("pk").select_related("entry"))
    assert [o.entry.email for o in offers] == ["first@example.org", "second@example.org"]
    assert all(o.start == SLOT for o in offers), "the freed time itself"
    (first_link,), (second_link,) = offer_links("first@example.org"), offer_links("second@example.org")
    assert offer_links("other-day@example.org") == []
    shown = client.get(second_link)
    assert shown.status_code == 200 and "Book this time" in shown.content.decode()
    taken = client.post(first_link)
    assert taken.status_code == 303 and taken["Location"].endswith("?new=1")
    appointment = Appointment.objects.get(email="first@example.org", status=Appointment.Status.CONFIRMED)
    assert appointment.start == SLOT
    gone = client.post(second_link)  # closed when the first booked (they were emailed): 410
    assert gone.status_code == 410 and "This time has gone" in gone.content.decode()
    assert "still on the waitlist" in gone.content.decode()
    assert WaitlistDay.objects.filter(entry__email="second@example.org", day=DAY).exists()
    again = client.post(first_link)  # the winner presses again: their booking, not a second one
    assert again.status_code == 303 and again["Location"].endswith("?already=1")
    assert Appointment.objects.filter(email="first@example.org").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_patients_confirming_one_offered_time_at_once_one_gets_it(clinic):
    with time_machine.travel(NOW, tick=False):
        join(clinic, "a@example.org")
        join(clinic, "b@example.org")
        free_a_time(clinic)
        tokens = [waitlist_token(email) for email in ("a@example.org", "b@example.org")]
    barrier = threading.Barrier(2)
    outcomes = []

    def accept(token):
        try:
            barrier.wait()
            with time_machine.travel(NOW, tick=False):
                waitlist.accept(token=token)
            outcomes.append("booked")
        except waitlist.OfferUnavailable as unavailable:
            outcomes.append(unavailable.reason)
        except Exception as error:  # anything else would be a 500
            outcomes.append(f"error: {error!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["booked", "gone"], outcomes
    assert Appointment.objects.filter(start=SLOT, status__in=Appointment.ACTIVE).count() == 1


def waitlist_token(email):
    link = offer_links(email)[0]
    return link.rstrip("/").rsplit("/", 1)[1]


@pytest.mark.usefixtures("frozen")
def test_no_patient_gets_more_offers_a_day_than_the_setting(client, clinic, settings):
    settings.WAITLIST_OFFERS_PER_DAY = 1
    join(clinic, "kim@example.org")
    free_a_time(clinic)
    later = booking.book(
        service="initial-evaluation", practitioner="sam", start=SLOT + dt.timedelta(hours=3), **details()
    )
    booking.change_status(appointment=later.appointment, action="cancel")
    outbox.drain()
    assert WaitlistOffer.objects.count() == 1 and len(offer_links("kim@example.org")) == 1


@pytest.mark.usefixtures("frozen")
def test_used_expired_and_unknown_offer_links_say_so(client, clinic, frozen):
    join(clinic, "kim@example.org")
    free_a_time(clinic)
    (link,) = offer_links("kim@example.org")
    assert client.get(link[:-5] + "xxxx/").status_code == 404
    frozen.move_to(SLOT - dt.timedelta(hours=1))  # inside the minimum notice
    expired = client.post(link)
    assert expired.status_code == 410 and "This link has expired" in expired.content.decode()
    assert Appointment.objects.filter(email="kim@example.org").count() == 0


@pytest.mark.usefixtures("frozen")
def test_leaving_by_the_link_deletes_the_entry(client, clinic):
    token = join(clinic, "kim@example.org")
    url = f"/appointments/waitlist/leave/{token}/"
    question = client.get(url)
    assert question.status_code == 200 and "Leave the waitlist?" in question.content.decode()
    assert WaitlistEntry.objects.count() == 1
    left = client.post(url)
    assert left.status_code == 200 and "You have left the waitlist" in left.content.decode()
    assert WaitlistEntry.objects.count() == 0 and WaitlistDay.objects.count() == 0
    again = client.get(url)
    assert again.status_code == 404 and "This link has expired" in again.content.decode()


@pytest.mark.usefixtures("frozen")
def test_entries_end_when_their_days_pass(clinic, frozen):
    join(clinic, "kim@example.org", days=[DAY, DAY + dt.timedelta(days=1)])
    frozen.move_to(SLOT + dt.timedelta(days=1))
    waitlist.purge_past()
    assert list(WaitlistDay.objects.values_list("day", flat=True)) == [DAY + dt.timedelta(days=1)]
    frozen.move_to(SLOT + dt.timedelta(days=2))
    from appointments.patient_data import purge_expired

    purge_expired()
    assert WaitlistEntry.objects.count() == 0


@pytest.mark.usefixtures("frozen")
def test_the_day_step_offers_the_waitlist_for_days_without_free_times(client, clinic):
    html = client.get("/appointments/day/", {"service": "initial-evaluation", "week": "2027-01-11"}).text
    # The weekend of that week has no hours: it may be waited for.
    assert "Join the waitlist for days this week" in html
    assert "/appointments/waitlist/?service=initial-evaluation&amp;practitioner=anyone&amp;week=2027-01-11" in html


@given(
    params=st.dictionaries(
        st.sampled_from(["service", "practitioner", "week", "days", "name", "email", "phone", "consent"]),
        st.one_of(st.text(max_size=40), st.sampled_from(["initial-evaluation", "alex", "2027-01-11", "2027-01-12"])),
    ),
    method=st.sampled_from(["get", "post"]),
)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.usefixtures("frozen")
def test_no_input_to_the_waitlist_makes_a_server_error(client, clinic, params, method):
    try:
        response = getattr(client, method)("/appointments/waitlist/", params)
    except ValueError:  # the test client refuses a NUL in a URL
        return
    assert response.status_code < 500
    if response.status_code >= 400:
        assert WaitlistEntry.objects.count() == 0
    WaitlistEntry.objects.all().delete()


@pytest.fixture
def staff(client, clinic):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("staff", "staff@example.org", "a-long-password-123"))
    return client


@pytest.mark.usefixtures("frozen")
def test_staff_see_the_day_and_offer_a_chosen_patient_a_time(staff, clinic):
    join(clinic, "first@example.org")
    join(clinic, "second@example.org", practitioner=clinic["b"])
    mail.outbox.clear()
    DBTaskResult.objects.all().delete()
    page = staff.get("/admin/appointments/waitlist/", {"date": "2027-01-12"})
    html = page.content.decode()
    assert page.status_code == 200 and "2 patients waiting for Tuesday 12 January 2027" in html
    assert html.index("first@example.org") < html.index("second@example.org")
    entry = WaitlistEntry.objects.get(email="second@example.org")
    value = f"sam|{SLOT.isoformat()}"
    assert f'value="{value}"' in html
    sent = staff.post(
        "/admin/appointments/waitlist/?date=2027-01-12", {"entry": entry.pk, "action": "offer", "time": value}
    )
    assert sent.status_code == 302
    outbox.drain()
    assert len(offer_links("second@example.org")) == 1 and offer_links("first@example.org") == []
    # A time the patient cannot have (another practitioner than they asked for) is refused.
    staff.post(
        "/admin/appointments/waitlist/?date=2027-01-12",
        {"entry": entry.pk, "action": "offer", "time": f"alex|{SLOT.isoformat()}"},
    )
    assert WaitlistOffer.objects.count() == 1
    staff.post("/admin/appointments/waitlist/?date=2027-01-12", {"entry": entry.pk, "action": "remove"})
    assert not WaitlistEntry.objects.filter(email="second@example.org").exists()


@pytest.mark.usefixtures("frozen")
def test_the_waitlist_admin_needs_permission(client, clinic):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("nobody", "n@example.org", "a-long-password-123"))
    assert client.get("/admin/appointments/waitlist/").status_code in (302, 403)


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("change", ["move", "decline", "staff_move"])
def test_every_way_a_time_frees_up_offers_it(clinic, change):
    join(clinic, "kim@example.org")
    if change == "decline":
        held = booking.book(service="follow-up-session", practitioner="alex", start=SLOT, **details())
        booking.change_status(appointment=held.appointment, action="decline")
    else:
        held = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
        booking.reschedule(
            appointment=held.appointment,
            start=SLOT + dt.timedelta(days=1),
            by_staff=change == "staff_move",
            manage_token=held.manage_token,
        )
    outbox.drain()
    assert len(offer_links("kim@example.org")) == 1
    assert WaitlistOffer.objects.get().start == SLOT


@pytest.mark.usefixtures("frozen")
def test_a_time_that_stays_taken_offers_nothing(clinic):
    join(clinic, "kim@example.org")
    held = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    held.appointment.message = "edited by staff"
    held.appointment.save()
    outbox.drain()
    assert WaitlistOffer.objects.count() == 0


@pytest.mark.usefixtures("frozen")
def test_leaving_from_an_offer_page(client, clinic):
    join(clinic, "kim@example.org")
    free_a_time(clinic)
    (link,) = offer_links("kim@example.org")
    left = client.post(link, {"action": "leave"})
    assert left.status_code == 200 and "You have left the waitlist" in left.content.decode()
    assert WaitlistEntry.objects.count() == 0 and Appointment.objects.filter(email="kim@example.org").count() == 0


@pytest.mark.usefixtures("frozen")
def test_erasing_a_patient_also_removes_them_from_the_waitlist(clinic):
    from appointments.patient_data import delete_patient

    join(clinic, "Kim@Example.org")
    join(clinic, "other@example.org")
    delete_patient("kim@example.org")
    assert list(WaitlistEntry.objects.values_list("email", flat=True)) == ["other@example.org"]


def _limit_policy(clinic, **numbers):
    from appointments.models import BookingSettings

    policy = BookingSettings.for_site(clinic["site"])
    for name, value in numbers.items():
        setattr(policy, name, value)
    policy.save()


def _join_as(client, email):
    post = {**JOIN, "days": ["2027-01-12"], "name": "Kim", "email": email, "consent": "yes"}
    return client.post("/appointments/waitlist/", post)


@pytest.mark.usefixtures("frozen")
def test_joining_emails_one_address_no_more_than_the_daily_email_cap(client, clinic):
    # Found by the attack review: one address joined 12 times for a stranger's email, and each
    # join queued a "You are on the waitlist" email to that stranger.
    _limit_policy(clinic, confirmation_emails_per_day=2, online_bookings_per_hour=50)
    answers = [_join_as(client, email) for email in ("kim@example.org", "KIM@example.org", "kim+x@example.org")]
    assert [answer.status_code for answer in answers] == [303, 303, 429]
    refused = answers[-1]
    assert int(refused["Retry-After"]) > 0 and "no-store" in refused["Cache-Control"]
    assert "at most 2 booking emails a day" in refused.content.decode() and "phone" in refused.content.decode()
    assert WaitlistEntry.objects.count() == 2 and DBTaskResult.objects.count() == 2


@pytest.mark.usefixtures("frozen")
def test_one_connection_joins_no_more_than_the_hourly_cap(client, clinic):
    _limit_policy(clinic, confirmation_emails_per_day=50, online_bookings_per_hour=2)
    answers = [_join_as(client, f"p{n}@example.org") for n in range(3)]
    assert [answer.status_code for answer in answers] == [303, 303, 429]
    assert "joined the waitlist 2 times within an hour" in answers[-1].content.decode()
    assert WaitlistEntry.objects.count() == 2


@pytest.mark.usefixtures("frozen")
def test_a_refused_join_gives_its_hits_back(client, clinic):
    _limit_policy(clinic, confirmation_emails_per_day=1, online_bookings_per_hour=1)
    bad = {**JOIN, "days": ["someday"], "name": "Kim", "email": "kim@example.org", "consent": "yes"}
    assert client.post("/appointments/waitlist/", bad).status_code == 400
    assert _join_as(client, "kim@example.org").status_code == 303


@pytest.mark.usefixtures("frozen")
def test_staff_signed_in_are_not_held_to_the_join_caps(client, clinic):
    from django.contrib.auth.models import Group, User

    _limit_policy(clinic, confirmation_emails_per_day=1, online_bookings_per_hour=1)
    desk = User.objects.create_user("desk", password="not-used-here-123")  # noqa: S106
    desk.groups.add(Group.objects.get(name="Reception"))
    client.force_login(desk)
    assert [_join_as(client, "kim@example.org").status_code for _ in range(3)] == [303, 303, 303]


@pytest.mark.usefixtures("frozen")
def test_when_the_first_takes_the_offer_the_others_are_emailed_that_it_has_gone(client, clinic):
    join(clinic, "first@example.org")
    join(clinic, "second@example.org")
    join(clinic, "later@example.org")
    free_a_time(clinic)
    later_entry = WaitlistEntry.objects.get(email="later@example.org")
    # Someone offered another time that day (14:00, free): the booking at 10:00 leaves their offer alone.
    WaitlistOffer.objects.filter(entry=later_entry).delete()
    assert waitlist.make_offer(entry=later_entry, practitioner=clinic["a"], start=SLOT + dt.timedelta(hours=4))
    outbox.drain()
    (first_link,) = offer_links("first@example.org")
    mail.outbox.clear()
    assert client.post(first_link).status_code == 303
    assert outbox.drain() >= 1
    told = [m for m in mail.outbox if "has gone" in m.subject]
    assert [m.to for m in told] == [["second@example.org"]]
    assert "Tuesday 12 January 2027, 10:00" in told[0].body and "still on the waitlist" in told[0].body
    second = WaitlistOffer.objects.get(entry__email="second@example.org")
    assert second.outcome == WaitlistOffer.Outcome.GONE
    assert WaitlistDay.objects.filter(entry__email="second@example.org", day=DAY).exists(), "they stay on the list"
    assert WaitlistOffer.objects.get(entry=later_entry).outcome == WaitlistOffer.Outcome.OPEN
    # A second press of the winner's link, or a later booking, tells nobody twice.
    assert waitlist.tell_the_others(WaitlistOffer.objects.get(entry__email="first@example.org")) == 0


@pytest.mark.usefixtures("frozen")
def test_the_patient_data_export_includes_their_waitlist_entries(client, clinic, admin_user):
    join(clinic, "Kim@Example.org", days=(DAY, DAY + dt.timedelta(days=1)), practitioner=clinic["a"])
    join(clinic, "other@example.org")
    free_a_time(clinic)
    client.force_login(admin_user)
    url = "/admin/appointments/patient-data/"
    page = client.post(url, {"email": "kim@example.org"}).content.decode()
    assert "On the waitlist for 1 service" in page and "Wednesday 13 January 2027" in page
    assert "other@example.org" not in page and "Export JSON" in page, "waiting only: still exportable"
    (entry,) = client.post(url, {"email": "kim@example.org", "format": "json"}).json()["waitlist"]
    assert entry["email"] == "Kim@Example.org" and entry["practitioner"] == "Alex Example"
    assert entry["days"] == ["2027-01-12", "2027-01-13"] and entry["service"] == "Initial evaluation"
    assert entry["offers"] == [{"start": SLOT.isoformat(), "outcome": "open"}]
    csv_text = client.post(url, {"email": "kim@example.org", "format": "csv"}).content.decode()
    assert "waitlist days" in csv_text and "2027-01-12 2027-01-13" in csv_text


@pytest.mark.usefixtures("frozen")
def test_deleting_an_appointment_outright_offers_its_time_like_a_cancel(client, clinic, admin_user):
    join(clinic, "kim@example.org")
    held = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details()).appointment
    outbox.drain()
    assert WaitlistOffer.objects.count() == 0
    client.force_login(admin_user)
    url = f"/admin/snippets/appointments/appointment/delete/{held.pk}/"
    assert client.post(url).status_code == 302 and not Appointment.objects.filter(pk=held.pk).exists()
    outbox.drain()
    assert len(offer_links("kim@example.org")) == 1 and WaitlistOffer.objects.get().start == SLOT


@pytest.mark.usefixtures("frozen")
def test_deleting_a_cancelled_or_past_appointment_offers_nothing(clinic, frozen):
    join(clinic, "kim@example.org", days=(DAY - dt.timedelta(days=1), DAY))
    cancelled = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details()).appointment
    booking.change_status(appointment=cancelled, action="cancel")
    past = booking.book(
        service="initial-evaluation", practitioner="sam", start=SLOT - dt.timedelta(days=1), **details(name="Past")
    ).appointment
    outbox.drain()
    queued = DBTaskResult.objects.count()
    cancelled.delete()  # a stale instance: its time was freed (and offered) when it was cancelled
    frozen.move_to(SLOT - dt.timedelta(hours=22))  # Monday 11 January 12:00: the past one is over
    past.delete()
    assert DBTaskResult.objects.count() == queued, "nothing queued"
