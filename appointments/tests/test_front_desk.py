"""The front desk: staff book phone and desk patients (email optional), courses of care all or none,
book next visit, the appointment slip and cancelling the rest of a course."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from appointments import booking, outbox, series
from appointments.models import Appointment, Closure

from .conftest import SLOT, details

pytestmark = pytest.mark.usefixtures("frozen")
LONDON = zoneinfo.ZoneInfo("Europe/London")
BOOK = "/admin/appointments/book/"


@pytest.fixture
def reception(client, clinic):
    user = User.objects.create_user("reception", "r@example.org", "a-long-password-123")
    user.groups.add(Group.objects.get(name="Reception"))
    client.force_login(user)
    client.user = user
    return client


def form(**overrides):
    values = {
        "service": "follow-up-session",
        "practitioner": "alex",
        "day": "2027-01-12",
        "start": "2027-01-12T10:00",
        "name": "Phone Patient",
        "phone": "020 7946 0002",
        "email": "",
        "note": "Prefers mornings.",
        "repeat_count": "1",
        "repeat_weeks": "1",
        "book": "1",
    }
    values.update(overrides)
    return values


def test_the_url_name_is_the_contract_with_the_day_grid():
    assert reverse("appointments_admin:book") == BOOK


def test_a_bare_visit_shows_todays_free_times_for_the_first_service_and_who_gives_it(reception, clinic):
    html = reception.get(BOOK).content.decode()
    # Frozen at Monday 4 January 2027, 09:00: the day box holds today and today's free times are listed.
    assert 'name="day" value="2027-01-04"' in html
    assert re.search(r'name="start" value="2027-01-04T\d\d:\d\d"', html), "no free time of today offered"


def test_reception_books_a_phone_patient_without_email_and_prints_the_slip(reception, clinic):
    response = reception.post(BOOK, form())
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/appointments/{appointment.pk}/"
    assert appointment.start == SLOT and appointment.practitioner.slug == "alex"
    # A request-type service: staff booking it is the confirmation.
    assert appointment.status == Appointment.Status.CONFIRMED
    assert appointment.email == "" and appointment.phone == "020 7946 0002"
    assert appointment.booked_by == reception.user and appointment.note == "Prefers mornings."
    assert appointment.series is None
    outbox.drain()
    assert mail.outbox == []
    page = reception.get(response["Location"]).content.decode()
    assert "Print appointment slip" in page and "No email address: print the appointment slip" in page
    assert "Prefers mornings." in page and "mailto:" not in page
    slip = reception.get(reverse("appointments_admin:slip", args=[appointment.pk]))
    text = slip.content.decode()
    assert slip.status_code == 200
    for expected in ("Tuesday 12 January 2027", "10:00", "Alex Example", "To change or cancel", appointment.reference):
        assert expected in text
    assert "Prefers mornings." not in text  # the internal note is for staff only


def test_with_an_email_the_patient_gets_the_usual_confirmation_and_calendar_file(reception, clinic):
    reception.post(BOOK, form(email="pat@example.org"))
    outbox.drain()
    (message,) = mail.outbox  # the patient's; staff made the booking, so no "new booking" mail to the clinic
    assert message.to == ["pat@example.org"] and "booked" in message.subject
    assert message.attachments[0][0] == "appointment.ics"
    assert re.search(r"/appointments/manage/\S+/", message.body)
    assert "Prefers mornings." not in message.body


def test_staff_may_book_inside_the_notice_period_and_past_the_horizon(reception, clinic):
    soon = dt.datetime(2027, 1, 4, 14, 0, tzinfo=dt.UTC)  # five hours ahead: online needs 12
    with pytest.raises(booking.InvalidBooking):
        booking.book(service="initial-evaluation", practitioner="alex", start=soon, **details())
    assert reception.post(BOOK, form(start="2027-01-04T14:00", day="2027-01-04")).status_code == 302
    far = "2027-06-01T10:00"  # about five months ahead: online stops at 60 days
    assert reception.post(BOOK, form(start=far, day="2027-06-01")).status_code == 302
    assert Appointment.objects.count() == 2


def test_outside_hours_is_booked_only_after_the_warning_was_shown(reception, clinic):
    evening = form(start="other", other_time="18:30")
    warned = reception.post(BOOK, evening)
    page = warned.content.decode()
    assert warned.status_code == 200 and "outside Alex Example&#x27;s working hours" in page
    assert 'name="outside_hours_ok"' in page and 'value="Phone Patient"' in page
    assert Appointment.objects.count() == 0
    Closure.objects.create(first_day=dt.date(2027, 1, 19), last_day=dt.date(2027, 1, 19), reason="Training")
    closed = reception.post(BOOK, form(start="2027-01-19T10:00", day="2027-01-19"))
    assert closed.status_code == 200 and "closed that day" in closed.content.decode()
    assert Appointment.objects.count() == 0
    done = reception.post(BOOK, {**evening, "outside_hours_ok": "on"})
    assert done.status_code == 302
    assert Appointment.objects.get().start == dt.datetime(2027, 1, 12, 18, 30, tzinfo=dt.UTC)


def test_a_taken_time_reshows_the_form_with_what_was_typed_and_the_reason(reception, clinic):
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    response = reception.post(BOOK, form(name="Robin Reader"))
    page = response.content.decode()
    assert response.status_code == 409 and "That time is taken" in page
    assert 'value="Robin Reader"' in page and "Prefers mornings." in page
    assert 'value="2027-01-12T11:15"' in page  # the day's free times to choose from instead
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required"),
        ({"phone": "", "email": ""}, "phone", "Enter a phone number or an email address"),
        ({"phone": "call me\x07"}, "phone", "Enter a phone number using digits"),
        ({"email": "not-an-address"}, "email", "Enter a valid email address"),
        ({"repeat_count": "13"}, "repeat_count", "less than or equal to 12"),
        ({"repeat_weeks": "9"}, "repeat_weeks", "Select a valid choice"),
        ({"start": "2027-02-30T10:00"}, "start", "Choose a time from the free times"),
        ({"start": "2026-12-01T10:00", "day": "2026-12-01"}, "start", "That time has passed"),
        ({"start": "", "other_time": ""}, "start", "Choose a time from the free times, or enter another time"),
        ({"start": "other", "other_time": ""}, "other_time", "Enter the day and a time of day"),
        ({"practitioner": "nobody"}, "practitioner", "Select a valid choice"),
        ({"service": "initial-evaluation\x00"}, "service", "Select a valid choice"),
    ],
)
def test_bad_input_is_a_400_with_the_reason_and_saves_nothing(reception, clinic, overrides, field, message):
    response = reception.post(BOOK, form(**overrides))
    assert response.status_code == 400, response.content.decode()[:300]
    assert message in response.content.decode()
    assert Appointment.objects.count() == 0


def test_a_practitioner_who_does_not_give_the_service_is_refused(reception, clinic):
    clinic["follow_up"].practitioners.set([clinic["b"]])
    response = reception.post(BOOK, form())
    assert response.status_code == 400 and "does not offer this service" in response.content.decode()


def test_reception_and_above_only(client, clinic):
    assert client.get(BOOK).status_code == 302  # to the sign-in page
    nobody = User.objects.create_user("editor", "e@example.org", "a-long-password-123")
    nobody.groups.add(Group.objects.get_or_create(name="Editors")[0])
    client.force_login(nobody)
    assert client.get(BOOK).status_code in (302, 403)
    assert client.post(BOOK, form()).status_code in (302, 403)
    assert Appointment.objects.count() == 0


def test_the_form_shows_the_free_times_of_the_day_and_takes_the_grid_parameters(reception, clinic):
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    start = (SLOT + dt.timedelta(hours=2)).isoformat()
    page = reception.get(BOOK, {"service": "initial-evaluation", "practitioner": "alex", "start": start})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="2027-01-12T12:00" checked' in html
    assert 'value="2027-01-12T10:00"' not in html  # taken
    assert 'value="2027-01-12T11:15"' in html and "Free times on Tuesday 12 January 2027 with Alex Example" in html
    shown = reception.post(BOOK, form(day="2027-01-13", start="", show="1", practitioner="sam"))
    assert shown.status_code == 200 and "Wednesday 13 January 2027 with Sam Sample" in shown.content.decode()
    bare = reception.post(
        BOOK, {"service": "initial-evaluation", "practitioner": "sam", "day": "2027-01-13", "show": "1"}
    )
    assert bare.status_code == 200 and "This field is required" not in bare.content.decode()
    assert 'value="2027-01-13T09:00"' in bare.content.decode()
    assert Appointment.objects.count() == 1
    calendar = reception.get(reverse("appointments_admin:calendar")).content.decode()
    assert f'href="{BOOK}"' in calendar and "Book for a patient" in calendar


def test_book_next_visit_fills_in_the_patient_and_the_service(reception, clinic):
    previous = booking.book(service="initial-evaluation", practitioner="sam", start=SLOT, **details()).appointment
    detail = reception.get(reverse("appointments_admin:detail", args=[previous.pk])).content.decode()
    assert f'href="{BOOK}?appointment={previous.pk}"' in detail and "Book next visit" in detail
    page = reception.get(BOOK, {"appointment": str(previous.pk)}).content.decode()
    assert 'value="Pat Patient"' in page and 'value="pat@example.org"' in page and 'value="+44 20 7946 0001"' in page
    assert '<option value="initial-evaluation" selected>' in page and '<option value="sam" selected>' in page
    assert 'value="2027-01-19"' in page  # a week on, to start from
    assert reception.get(BOOK, {"appointment": "99999999999999999999"}).status_code == 200
    odd = reception.get(BOOK, {"service": "x\x00", "practitioner": "\x00", "start": "\x00", "appointment": "1\x00"})
    assert odd.status_code == 200


def test_a_six_week_course_lists_the_taken_week_and_books_all_once_it_is_re_picked(reception, clinic):
    taken = SLOT + dt.timedelta(weeks=2)
    booking.book(service="initial-evaluation", practitioner="alex", start=taken, **details(email="o@example.org"))
    outbox.drain()
    mail.outbox.clear()
    course = form(repeat_count="6", email="pat@example.org")
    first = reception.post(BOOK, course)
    page = first.content.decode()
    assert first.status_code == 409 and "Session 3: Tuesday 26 January 2027, 10:00 is taken" in page
    assert Appointment.objects.count() == 1  # nothing saved until every session has a time
    alternatives = re.findall(r'type="radio" name="session_3" value="([^"]+)"', page)
    assert alternatives and all(a.startswith("2027-01-2") for a in alternatives)
    assert re.findall(r'type="hidden" name="session_(\d+)"', page) == ["2", "4", "5", "6"]  # kept as planned
    done = reception.post(BOOK, {**course, "session_3": alternatives[0]})
    assert done.status_code == 302
    sessions = list(Appointment.objects.exclude(email="o@example.org").order_by("start"))
    assert [(s.series_number, s.series_total) for s in sessions] == [(n, 6) for n in range(1, 7)]
    assert len({s.series for s in sessions}) == 1 and sessions[0].series is not None
    assert sessions[2].start.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M") == alternatives[0]
    assert sessions[5].start == SLOT + dt.timedelta(weeks=5)
    assert done["Location"] == f"/admin/appointments/{sessions[0].pk}/"
    detail = reception.get(done["Location"]).content.decode()
    assert "Session 1 of 6" in detail and "Cancel the rest of the course" in detail

    outbox.drain()
    (message,) = mail.outbox
    assert message.to == ["pat@example.org"] and "6 appointments are booked" in message.subject
    name, calendar, mimetype = message.attachments[0]
    assert name == "appointments.ics" and mimetype == "text/calendar"
    assert calendar.count("BEGIN:VEVENT") == 6 and "METHOD:REQUEST" in calendar
    links = re.findall(r"https?://\S+(/appointments/manage/\S+/)", message.body)
    assert len(set(links)) == 6
    for link, session in zip(links, sessions, strict=True):
        assert session.reference in reception.get(link).content.decode()
    assert "Session 6 of 6" in message.body
    # The outbox keeps no readable copy of the private links once sent.
    sent = DBTaskResult.objects.get(task_path="appointments.series_mail.send_series_email")
    assert sent.args_kwargs["kwargs"]["manage_token"] == "[sent]"


def test_a_closed_week_of_a_course_is_listed_for_a_new_time_too(reception, clinic):
    Closure.objects.create(first_day=dt.date(2027, 1, 19), last_day=dt.date(2027, 1, 19), reason="Training")
    response = reception.post(BOOK, form(repeat_count="3", repeat_weeks="1"))
    assert response.status_code == 409 and "Session 2: Tuesday 19 January 2027, 10:00" in response.content.decode()
    assert Appointment.objects.count() == 0


def test_a_course_is_all_or_none_when_a_session_is_taken_inside_the_transaction(clinic, monkeypatch):
    real = booking._clashes
    calls = []

    def clash_on_the_fourth_write(practitioner, start, end, blocked_until, **kwargs):
        calls.append(start)
        if len(calls) == 4:  # the fourth session's check under the lock
            return True
        return real(practitioner, start, end, blocked_until, **kwargs)

    monkeypatch.setattr(booking, "_clashes", clash_on_the_fourth_write)
    starts = [SLOT + dt.timedelta(weeks=n) for n in range(6)]
    with pytest.raises(booking.SlotTaken):
        series.book_series(
            service="initial-evaluation", practitioner="alex", starts=starts, name="Pat", email="pat@example.org"
        )
    assert Appointment.objects.count() == 0 and DBTaskResult.objects.count() == 0


def test_cancel_one_session_or_the_rest_of_the_course(reception, clinic):
    starts = [SLOT + dt.timedelta(weeks=2 * n) for n in range(4)]
    booked = series.book_series(
        service="initial-evaluation", practitioner="alex", starts=starts, name="Pat", email="pat@example.org"
    )
    outbox.drain()
    mail.outbox.clear()
    one = booked[1].appointment
    reception.post(reverse("appointments_admin:action", args=[one.pk]), {"action": "cancel"})
    third = booked[2].appointment
    ask = reception.get(reverse("appointments_admin:cancel_rest", args=[third.pk]))
    assert ask.status_code == 200 and "Session 4 of 4" in ask.content.decode()
    assert Appointment.objects.filter(status=Appointment.Status.CANCELLED).count() == 1  # asking changes nothing
    done = reception.post(reverse("appointments_admin:cancel_rest", args=[third.pk]))
    assert done.status_code == 302
    statuses = [a.status for a in Appointment.objects.order_by("series_number")]
    assert statuses == ["confirmed", "cancelled", "cancelled", "cancelled"]
    outbox.drain()
    assert len(mail.outbox) == 2  # one for the single session, one listing the rest
    rest = mail.outbox[1]
    assert "2 appointments are cancelled" in rest.subject
    assert "METHOD:CANCEL" in rest.attachments[0][1] and rest.attachments[0][1].count("BEGIN:VEVENT") == 2


def test_an_appointment_without_email_is_cancelled_and_reminded_without_mail(clinic):
    appointment = series.book_one(
        service="initial-evaluation",
        practitioner="alex",
        start=SLOT,
        name="Pat",
        phone="0123 45678",
        email="",
    ).appointment
    booking.change_status(appointment=appointment, action="cancel")
    outbox.drain()
    assert mail.outbox == []
    assert not DBTaskResult.objects.filter(status="FAILED").exists()


def test_a_course_keeps_its_wall_clock_time_across_the_clock_change():
    first = dt.datetime(2027, 3, 23, 9, 0, tzinfo=dt.UTC)  # 09:00 GMT
    starts = series.plan(first=first, count=3, weeks=1, tz=LONDON)
    assert [s.astimezone(LONDON).strftime("%d %H:%M") for s in starts] == ["23 09:00", "30 09:00", "06 09:00"]
    assert starts[1] == dt.datetime(2027, 3, 30, 8, 0, tzinfo=dt.UTC)  # BST from 28 March


def test_the_internal_note_is_exported_with_the_patient_data_and_purged_with_it(clinic):
    from appointments.patient_data import export_rows, purge_expired

    series.book_one(
        service="initial-evaluation", practitioner="alex", start=SLOT, name="Pat", phone="0123 45678",
        email="pat@example.org", note="Prefers mornings.",
    )  # fmt: skip
    assert export_rows("pat@example.org")[0]["note"] == "Prefers mornings."
    assert purge_expired(now=SLOT + dt.timedelta(days=2 * 365 + 40)) == 1
    assert Appointment.objects.get().note == ""


def test_taken_between_the_check_and_the_save_reshows_the_form_with_the_reason(reception, clinic, monkeypatch):
    """The other desk's booking lands after this form's check: the lock and the check under it refuse."""
    monkeypatch.setattr(booking, "_clashes", lambda *args, **kwargs: True)
    response = reception.post(BOOK, form(name="Robin Reader", repeat_count="3"))
    page = response.content.decode()
    assert response.status_code == 409 and "That time was just taken" in page and 'value="Robin Reader"' in page
    assert Appointment.objects.count() == 0


def test_the_overlap_check_reads_an_index_range_and_still_sees_the_longest_booking(clinic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    longest = clinic["initial"]
    longest.duration_minutes, longest.buffer_minutes = 480, 240  # the most Service's validators allow
    longest.save()
    start = SLOT - dt.timedelta(hours=11)
    Appointment.objects.create(
        practitioner=clinic["a"], service=longest, start=start, end=start + dt.timedelta(hours=8),
        blocked_until=start + dt.timedelta(hours=12), manage_token_hash="x" * 64, name="Long",
    )  # fmt: skip
    with CaptureQueriesContext(connection) as captured:
        assert booking._clashes(clinic["a"], SLOT, SLOT + dt.timedelta(minutes=45), SLOT + dt.timedelta(hours=1))
    # Bounded below as well as above: with 100,000 past bookings SQLite otherwise walks all of them.
    assert '"start" >' in captured.captured_queries[0]["sql"]
