"""The patient's HTML flow, private pages, the contact form and the staff views in the admin."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appointments import booking, outbox
from appointments.models import Appointment

from .conftest import NOW, SLOT, details

pytestmark = pytest.mark.usefixtures("frozen")


def assert_private(response):
    control = response["Cache-Control"]
    assert "private" in control and "no-store" in control, control


def test_the_whole_flow_without_javascript(client, clinic):
    start = client.get("/appointments/")
    assert start.status_code == 200
    assert_private(start)
    html = start.content.decode()
    assert 'type="radio" name="service"' in html and "<legend>" in html
    assert "not watched for urgent problems" in html and "care-card" in html
    step = client.get("/appointments/", {"service": "initial-evaluation", "practitioner": "alex"})
    assert step.status_code == 302
    days = client.get(step["Location"] + "&week=2027-01-11")
    assert days.status_code == 200 and 'name="day" id="day-2027-01-12"' in days.content.decode()
    assert "care-card" in days.content.decode()
    to_time = client.get(step["Location"] + "&day=2027-01-12")
    times = client.get(to_time["Location"])
    assert times.status_code == 200
    assert f'value="{SLOT.isoformat()}"' in times.content.decode()
    to_details = client.get(to_time["Location"] + "&start=" + SLOT.isoformat().replace("+", "%2B"))
    assert to_details.status_code == 302
    form = client.get(to_details["Location"])
    assert form.status_code == 200 and 'href="/privacy/"' in form.content.decode()
    assert_private(form)
    answers = client.post(
        "/appointments/details/",
        {"service": "initial-evaluation", "practitioner": "alex", "start": SLOT.isoformat(), **details(consent="yes")},
    )
    assert answers.status_code == 303 and Appointment.objects.count() == 0
    check = client.get(answers["Location"])
    assert check.status_code == 200 and "Check your answers" in check.content.decode()
    assert_private(check)
    done = client.post(answers["Location"])
    assert done.status_code == 303
    confirmation = client.get(done["Location"])
    assert confirmation.status_code == 200
    assert_private(confirmation)
    page = confirmation.content.decode()
    appointment = Appointment.objects.get()
    assert appointment.reference in page and "Appointment booked" in page and "care-card" in page
    assert "not watched for urgent problems" in page


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"email": "not-an-email"}, 400),
        ({"name": ""}, 400),
        ({"name": "x" * 10000}, 400),
        ({"phone": "1\r\nBcc: x@example.org"}, 400),
        ({"consent": ""}, 400),
        ({"start": "2027-01-12T10:05:00+00:00"}, 400),
        ({"start": "garbage"}, 400),
        # Real dates with no UTC equivalent (before year 1 or after 9999 in UTC).
        ({"start": "0001-01-01T00:00:00+14:00"}, 400),
        ({"start": "9999-12-31T23:59:59-14:00"}, 400),
        ({"service": "unknown"}, 400),
    ],
)
def test_bad_details_are_4xx_and_nothing_is_saved(client, clinic, data, status):
    post = {
        "service": "initial-evaluation",
        "practitioner": "alex",
        "start": SLOT.isoformat(),
        **details(consent="yes"),
    }
    post.update(data)
    response = client.post("/appointments/details/", post)
    assert response.status_code == status
    assert "There is a problem" in response.content.decode() or "Something is missing" in response.content.decode()
    assert Appointment.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_a_message_the_browser_accepted_is_not_refused_for_its_line_breaks(client, clinic):
    """A textarea's maxlength counts a line break as one character; the browser sends it as two (CRLF)."""
    message = "\r\n".join(["x" * 20] * 24)  # 480 + 23 line breaks: 503 as the browser counts, 526 as sent
    message = message[:-3]  # 500 as the browser counts
    assert len(message.replace("\r\n", "\n")) == 500
    response = client.post(
        "/appointments/details/",
        {
            "service": "initial-evaluation",
            "practitioner": "alex",
            "start": SLOT.isoformat(),
            **details(consent="yes", message=message),
        },
    )
    assert response.status_code == 303
    assert client.post(response["Location"]).status_code == 303
    assert Appointment.objects.get().message == message.replace("\r\n", "\n")
    too_long = client.post(
        "/appointments/details/",
        {
            "service": "initial-evaluation",
            "practitioner": "sam",
            "start": SLOT.isoformat(),
            **details(consent="yes", message=message + "x"),
        },
    )
    assert too_long.status_code == 400 and "at most 500 characters" in too_long.content.decode()


def test_taken_time_is_409_with_nearest_times(client, clinic):
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    response = client.post(
        "/appointments/details/",
        {
            "service": "initial-evaluation",
            "practitioner": "alex",
            "start": SLOT.isoformat(),
            **details(consent="yes", email="b@example.org"),
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "just taken" in html and "The nearest free times" in html
    alternative = re.search(r'name="start" id="alt-1" value="([^"]+)"', html).group(1)
    follow = client.get(
        "/appointments/details/", {"service": "initial-evaluation", "practitioner": "alex", "start": alternative}
    )
    assert follow.status_code == 200 and "Your details" in follow.content.decode()


def test_a_taken_time_keeps_what_the_patient_typed(client, clinic):
    """The nearest free times are part of the details form: choosing one books it with the details already typed."""
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    typed = details(consent="yes", name="Robin Reader", email="robin@example.org", phone="", message="Left side.")
    response = client.post(
        "/appointments/details/",
        {"service": "initial-evaluation", "practitioner": "alex", "start": SLOT.isoformat(), **typed},
    )
    assert response.status_code == 409
    html = response.content.decode()
    forms = re.findall(r"<form\b.*?</form>", html, re.S)
    assert len([f for f in forms if 'method="post"' in f]) == 1, "one form, one submit button"
    (form,) = [f for f in forms if 'method="post"' in f]
    # The taken time is no longer sent; the patient picks one of the free ones inside the same form.
    assert f'type="hidden" name="start" value="{SLOT.isoformat()}"' not in form
    alternative = re.search(r'name="start" id="alt-1" value="([^"]+)"', form).group(1)
    assert 'value="Robin Reader"' in form and "Left side." in form and 'name="consent" value="yes" checked' in form
    assert 'href="#alt-1"' in html  # the error summary leads to the choice
    posted = {"service": "initial-evaluation", "practitioner": "alex", "start": alternative, **typed}
    answers = client.post("/appointments/details/", posted)
    assert answers.status_code == 303
    assert client.post(answers["Location"]).status_code == 303
    assert Appointment.objects.get(email="robin@example.org").start.isoformat() == alternative


@pytest.mark.parametrize(
    ("start", "status", "message"),
    [
        ("2027-01-01T10:00:00+00:00", 400, "That time is in the past."),
        ("2027-01-12T10:05:00+00:00", 400, "not one of the offered start times"),
        ("2027-06-01T10:00:00+00:00", 400, "Bookings open"),
        (SLOT.isoformat(), 409, "just taken"),
    ],
)
def test_details_page_says_at_once_when_the_time_cannot_be_booked(client, clinic, start, status, message):
    """A stale bookmark or an edited link: the problem shows before the patient types anything."""
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    response = client.get(
        "/appointments/details/", {"service": "initial-evaluation", "practitioner": "alex", "start": start}
    )
    assert response.status_code == status
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    if status == 409:
        assert 'id="alt-1"' in html and 'name="name"' in html
    else:
        assert 'name="name"' not in html, "no form for a time that cannot be booked"
        assert 'href="/appointments/day/?service=initial-evaluation&amp;practitioner=alex"' in html


def test_each_day_counts_the_times_the_next_step_offers(client, clinic):
    """With "anyone", a time two practitioners have free is one choice, and one in the day's count."""
    days = client.get(
        "/appointments/day/", {"service": "initial-evaluation", "practitioner": "anyone", "week": "2027-01-11"}
    )
    count = re.search(r'for="day-2027-01-12">[^<]*<span class="choice__count">\((\d+) times\)', days.text)
    times = client.get(
        "/appointments/time/", {"service": "initial-evaluation", "practitioner": "anyone", "day": "2027-01-12"}
    )
    offered = re.findall(r'type="radio" name="start"', times.text)
    assert count and int(count.group(1)) == len(offered) > 0


def test_a_day_that_has_passed_says_so(client, clinic):
    response = client.get(
        "/appointments/time/", {"service": "initial-evaluation", "practitioner": "anyone", "day": "2027-01-01"}
    )
    html = response.content.decode()
    assert response.status_code == 400 and "That day has passed" in html
    assert "no free times left" not in html and "Choose another day" in html


@pytest.mark.parametrize(
    "url",
    [
        "/appointments/day/?service=nope",
        "/appointments/time/?service=initial-evaluation&day=someday",
        "/appointments/time/?service=initial-evaluation&day=2027-02-30",
        "/appointments/day/?service=initial-evaluation&day=2027-02-30",
        "/appointments/time/?service=initial-evaluation&day=2027-01-12&start=2027-01-12T10:05:00%2B00:00",
        "/appointments/details/?service=initial-evaluation",
        "/appointments/details/?service=initial-evaluation&start=0001-01-01T00:00:00%2B14:00",
        "/appointments/details/?service=initial-evaluation&start=9999-12-31T23:59:59-14:00",
        "/appointments/time/?service=initial-evaluation&day=2027-01-12&start=0001-01-01T00:00:00%2B14:00",
        "/appointments/?service=nope",
    ],
)
def test_bad_step_queries_are_400(client, clinic, url):
    assert client.get(url).status_code == 400


def test_manage_link_cancel_and_cutoff(client, clinic, frozen):
    booked = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    url = reverse("appointments:manage", args=[booked.manage_token])
    page = client.get(url)
    assert page.status_code == 200 and "Cancel this appointment" in page.content.decode()
    assert_private(page)
    assert client.get(reverse("appointments:manage", args=["wrong-token"])).status_code == 404
    ics = client.get(reverse("appointments:manage_ics", args=[booked.manage_token]))
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.content
    frozen.move_to(SLOT - dt.timedelta(hours=2))
    late = client.get(url).content.decode()
    assert "Cancel this appointment" not in late and "phone the clinic" in late.lower()
    cancel_url = reverse("appointments:manage_cancel", args=[booked.manage_token])
    assert client.post(cancel_url).status_code == 409
    frozen.move_to(SLOT - dt.timedelta(days=5))
    cancelled = client.post(cancel_url)
    assert cancelled.status_code == 303
    assert Appointment.objects.get().status == Appointment.Status.CANCELLED


def test_cancelling_twice_says_it_is_cancelled_not_too_late(client, clinic):
    booked = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    url = reverse("appointments:manage_cancel", args=[booked.manage_token])
    assert client.post(url).status_code == 303
    again = client.post(url, follow=True)  # the button pressed twice, or the page reloaded
    html = again.content.decode()
    assert again.status_code == 200 and "already cancelled" in html
    assert "too late" not in html.lower()
    request = booking.book(service="follow-up-session", practitioner="alex", start=SLOT, **details())
    booking.change_status(appointment=request.appointment, action="decline")
    response = client.post(reverse("appointments:manage_cancel", args=[request.manage_token]))
    assert response.status_code == 409 and "no longer booked (declined)" in response.content.decode()
    assert "too late" not in response.content.decode().lower()


def test_an_edited_cancel_form_gets_the_page_back_with_a_message(client, clinic):
    booked = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    url = reverse("appointments:manage", args=[booked.manage_token])
    response = client.post(url, {"action": "delete-everything"})
    html = response.content.decode()
    assert response.status_code == 400 and 'role="alert"' in html and "Use the buttons on this page" in html
    assert "Cancel this appointment" in html and 'class="site-header"' in html
    assert Appointment.objects.get().status == Appointment.Status.CONFIRMED


def test_patient_moves_by_the_link(client, clinic):
    booked = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    url = reverse("appointments:manage_move", args=[booked.manage_token])
    page = client.get(url + "?day=2027-01-13")
    assert page.status_code == 200
    new_start = "2027-01-13T11:00:00+00:00"
    assert f'value="{new_start}"' in page.content.decode()
    moved = client.post(url, {"start": new_start})
    assert moved.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.start == dt.datetime(2027, 1, 13, 11, tzinfo=dt.UTC) and appointment.sequence == 1
    assert client.post(url, {"start": "2027-01-13T11:07:00+00:00"}).status_code == 400
    assert client.post(url, {"start": "0001-01-01T00:00:00+14:00"}).status_code == 400


def test_move_page_groups_days_by_month_as_booking_does(client, clinic):
    booked = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    page = client.get(reverse("appointments:manage_move", args=[booked.manage_token]))
    html = page.content.decode()
    assert "<legend>January 2027</legend>" in html and "<legend>February 2027</legend>" in html
    assert html.index("<legend>January 2027</legend>") < html.index('id="day-2027-01-29"')
    assert html.index('id="day-2027-01-29"') < html.index("<legend>February 2027</legend>")
    assert len(re.findall(r'name="day"[^>]* checked', html)) == 0, "nothing chosen for the patient"
    chosen = client.get(reverse("appointments:manage_move", args=[booked.manage_token]), {"day": "2027-01-13"}).text
    assert len(re.findall(r'name="day"[^>]* checked', chosen)) == 1
    assert not re.search(r'name="start"[^>]* checked', chosen)


@pytest.mark.parametrize("path", ["/appointments/details/", "/contact/", "/members/-/enter/"])
def test_a_form_sent_without_its_cookie_gets_a_plain_words_page(clinic, demo_content, path):
    """Cookies blocked or cleared: Django refuses the form (403); the patient reads what happened and what to do."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        path, {"service": "initial-evaluation", "practitioner": "alex", "start": SLOT.isoformat(), **details()}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Your form could not be sent" in html and "Nothing was saved or sent" in html
    assert "cookies are allowed for this website" in html
    assert "CSRF" not in html and 'class="site-header"' in html
    assert Appointment.objects.count() == 0


@pytest.fixture
def contact_page(clinic, demo_content):
    return "/contact/"


def test_contact_form_stores_queues_mail_and_throttles(client, contact_page):
    from wagtail.contrib.forms.models import FormSubmission

    page = client.get(contact_page)
    assert page.status_code == 200
    assert_private(page)
    data = {"your_name": "Pat", "your_email": "pat@example.org", "your_message": "Hello\nthere"}
    response = client.post(contact_page, data)
    assert response.status_code == 200, response.content[:500]
    assert FormSubmission.objects.count() == 1
    outbox.drain()
    assert len(mail.outbox) == 1 and mail.outbox[0].reply_to == ["pat@example.org"]
    # Honeypot: looks like success, stores nothing.
    client.post(contact_page, {**data, "website": "http://spam.example"})
    assert FormSubmission.objects.count() == 1
    # Header injection in a one-line field.
    bad = client.post(contact_page, {**data, "your_name": "Pat\r\nBcc: x@example.org"})
    assert bad.status_code == 400
    invalid = client.post(contact_page, {**data, "your_email": "nope"})
    assert invalid.status_code == 400
    assert client.post(contact_page, {**data, "your_message": "nul\x00byte"}).status_code == 400
    codes = [client.post(contact_page, data).status_code for _ in range(6)]
    assert 429 in codes
    assert FormSubmission.objects.count() <= 5
    # The patient's right to erasure covers their contact messages too.
    from appointments.patient_data import delete_patient

    delete_patient("PAT@example.org")
    assert FormSubmission.objects.count() == 0


def test_contact_form_errors_and_hints_are_tied_to_their_fields(client, contact_page):
    """Every id an input, textarea or fieldset names in aria-describedby is on the page, and every error shows."""
    from appointments.models import ContactFormField, ContactPage

    page = ContactPage.objects.get()
    extra = [
        ("How should we reply?", "radio", "Email\nPhone", "Choose one."),
        ("I have read the privacy notice", "checkbox", "", "Tick to continue."),
    ]
    for order, (label, field_type, choices, help_text) in enumerate(extra, start=10):
        ContactFormField.objects.create(
            page=page, sort_order=order, label=label, field_type=field_type, choices=choices, help_text=help_text
        )
    response = client.post(contact_page, {"your_email": "nope"})
    assert response.status_code == 400
    html = response.content.decode()
    described = re.findall(r'<(?:input|textarea|select|fieldset)\b[^>]*aria-describedby="([^"]+)"', html)
    referenced = {ref for refs in described for ref in refs.split()}
    assert {"id_your_name_error", "id_your_email_error", "id_your_message_error"} <= referenced
    assert any("_helptext" in ref for ref in referenced) and len(referenced) >= 7, referenced
    for ref in referenced:
        assert f'id="{ref}"' in html, f"aria-describedby names {ref}, which is not on the page"
    # The tick box's own error is shown next to it, not only "check the fields marked below".
    checkbox_error = re.search(r'id="id_i_have_read_the_privacy_notice_error">(.*?)</p>', html, re.S)
    assert checkbox_error and "This field is required." in checkbox_error.group(1)
    # A radio group is a fieldset with a legend, not a label pointing at nothing.
    assert "<legend>How should we reply?</legend>" in html and 'for=""' not in html


@pytest.fixture
def staff(client, clinic):
    user = User.objects.create_superuser("staff", "staff@example.org", "a-long-password-123")
    client.force_login(user)
    return client


def test_staff_calendar_actions_reschedule_and_csv(staff, clinic, frozen):
    request = booking.book(service="follow-up-session", practitioner="alex", start=SLOT, **details()).appointment
    week = staff.get(reverse("appointments_admin:calendar"), {"date": "2027-01-12"})
    assert week.status_code == 200 and request.reference in week.content.decode()
    day = staff.get(
        reverse("appointments_admin:calendar"), {"date": "2027-01-12", "view": "day", "practitioner": "alex"}
    )
    assert request.reference in day.content.decode()
    other_day = staff.get(reverse("appointments_admin:calendar"), {"date": "2027-01-13", "view": "day"})
    assert request.reference not in other_day.content.decode()
    detail = staff.get(reverse("appointments_admin:detail", args=[request.pk]))
    assert "Confirm" in detail.content.decode()
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", detail.content.decode(), re.S).group(1)
    assert f"Appointment {request.reference}" in heading and "Alex" not in heading  # short on a phone
    staff.post(reverse("appointments_admin:action", args=[request.pk]), {"action": "confirm"})
    request.refresh_from_db()
    assert request.status == Appointment.Status.CONFIRMED
    staff.post(reverse("appointments_admin:move", args=[request.pk]), {"start": "2027-01-12T14:00"})
    request.refresh_from_db()
    assert request.start == dt.datetime(2027, 1, 12, 14, tzinfo=dt.UTC)
    detail = staff.get(reverse("appointments_admin:detail", args=[request.pk])).content.decode()
    assert "Mark attended" not in detail and "Mark did not attend" not in detail  # not before it starts
    staff.post(reverse("appointments_admin:action", args=[request.pk]), {"action": "no_show"})
    request.refresh_from_db()
    assert request.status == Appointment.Status.CONFIRMED  # refused: the patient may still come
    frozen.move_to(dt.datetime(2027, 1, 12, 14, 5, tzinfo=dt.UTC))
    detail = staff.get(reverse("appointments_admin:detail", args=[request.pk])).content.decode()
    assert "Mark attended" in detail and "Mark did not attend" in detail
    staff.post(reverse("appointments_admin:action", args=[request.pk]), {"action": "attended"})
    request.refresh_from_db()
    assert request.status == Appointment.Status.ATTENDED
    csv = staff.get(reverse("wagtailsnippets_appointments_appointment:list") + "?export=csv")
    assert csv.status_code == 200 and request.reference in b"".join(csv.streaming_content).decode()
    listing = reverse("wagtailsnippets_appointments_appointment:list")
    assert request.reference in staff.get(listing + "?status=attended").content.decode()
    filtered = staff.get(listing + "?status=cancelled")
    assert request.reference not in filtered.content.decode(), [
        line for line in filtered.content.decode().splitlines() if request.reference in line
    ]


def test_staff_patient_export_and_delete(staff, clinic):
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    url = reverse("appointments_admin:patient_data")
    exported = staff.post(url, {"email": "pat@example.org", "format": "json"})
    assert exported.status_code == 200 and exported.json()["appointments"][0]["email"] == "pat@example.org"
    assert staff.post(reverse("appointments_admin:patient_delete"), {"email": "pat@example.org"}).status_code == 400
    staff.post(reverse("appointments_admin:patient_delete"), {"email": "pat@example.org", "confirm": "yes"})
    assert Appointment.objects.count() == 0


def test_practitioner_feed_is_private_and_revocable(staff, client, clinic):
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    page = staff.post(reverse("appointments_admin:feeds"), {"practitioner": clinic["a"].pk, "do": "new"})
    link = re.search(r"(http://\S+?\.ics)", page.content.decode()).group(1)
    path = link.split("testserver", 1)[1]
    feed = client.get(path)
    assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.content
    assert b"Pat Patient" not in feed.content  # no patient names on a phone calendar
    # Revoking (or replacing) a link a phone may be subscribed to asks first.
    question = staff.post(reverse("appointments_admin:feeds"), {"practitioner": clinic["a"].pk, "do": "revoke"})
    assert "Revoke the calendar link of <strong>Alex Example</strong>?" in question.content.decode()
    assert client.get(path).status_code == 200
    replace = staff.post(reverse("appointments_admin:feeds"), {"practitioner": clinic["a"].pk, "do": "new"})
    assert "Replace the calendar link" in replace.content.decode() and client.get(path).status_code == 200
    staff.post(reverse("appointments_admin:feeds"), {"practitioner": clinic["a"].pk, "do": "revoke", "confirm": "yes"})
    assert client.get(path).status_code == 404


def test_staff_views_need_permission(client, clinic):
    user = User.objects.create_user("plain", "p@example.org", "a-long-password-123")
    client.force_login(user)
    assert client.get(reverse("appointments_admin:calendar")).status_code in (302, 403)


def test_purge_command(clinic, frozen):
    from django.core.management import call_command

    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    frozen.move_to(SLOT + dt.timedelta(days=800))
    call_command("purge_patient_data")
    assert Appointment.objects.get().name == "(removed)"


@given(
    path=st.sampled_from(["/appointments/", "/appointments/day/", "/appointments/time/", "/appointments/details/"]),
    params=st.dictionaries(
        st.sampled_from(["service", "practitioner", "day", "start", "name", "email", "consent"]),
        st.one_of(
            st.text(max_size=60), st.sampled_from(["initial-evaluation", "alex", "2027-01-12", SLOT.isoformat()])
        ),
    ),
    method=st.sampled_from(["get", "post"]),
)
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error(client, clinic, path, params, method):
    response = getattr(client, method)(path, params)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert Appointment.objects.count() == 0 or method == "post"


def test_reception_works_the_bookings_calendar_but_cannot_delete_patient_data(client, clinic):
    from django.contrib.auth.models import Group

    request = booking.book(service="follow-up-session", practitioner="alex", start=SLOT, **details()).appointment
    user = User.objects.create_user("reception", "r@example.org", "a-long-password-123")
    user.groups.add(Group.objects.get(name="Reception"))
    client.force_login(user)
    assert "Bookings calendar" in client.get("/admin/").content.decode()
    week = client.get(reverse("appointments_admin:calendar"), {"date": "2027-01-12"})
    assert week.status_code == 200 and request.reference in week.content.decode()
    client.post(reverse("appointments_admin:action", args=[request.pk]), {"action": "confirm"})
    request.refresh_from_db()
    assert request.status == Appointment.Status.CONFIRMED
    assert client.get(reverse("wagtailsnippets_appointments_closure:add")).status_code == 200
    assert client.get(reverse("wagtailsnippets_appointments_timeoff:add")).status_code == 200
    found = client.post(reverse("appointments_admin:patient_data"), {"email": "pat@example.org"})
    assert found.status_code == 200 and request.reference in found.content.decode()
    assert "Delete all these" not in found.content.decode()  # deleting is for administrators
    assert "Only an administrator can delete" in found.content.decode()
    denied = client.post(reverse("appointments_admin:patient_delete"), {"email": "pat@example.org", "confirm": "yes"})
    assert denied.status_code in (302, 403) and Appointment.objects.count() == 1
    # Services, practitioners and working hours stay with the administrators.
    assert client.get(reverse("wagtailsnippets_appointments_practitioner:add")).status_code in (302, 403)


def test_an_existing_reception_group_gets_the_calendar_from_the_migration(db):
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Reception")
    group.permissions.remove(*group.permissions.filter(content_type__app_label="appointments"))
    migration = importlib.import_module("appointments.migrations.0005_reception_calendar_permissions")
    migration.add_calendar_permissions(apps, None)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_appointment", "change_appointment", "add_closure", "change_timeoff"} <= codenames
    assert "delete_appointment" not in codenames and "change_practitioner" not in codenames


def test_deleting_without_the_tick_shows_the_patient_page_again_with_the_reason(staff, clinic):
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    response = staff.post(reverse("appointments_admin:patient_delete"), {"email": "pat@example.org"})
    page = response.content.decode()
    assert response.status_code == 400 and "<html" in page  # the admin page, not a bare line of text
    assert "Tick the box to confirm the deletion." in page and 'value="pat@example.org"' in page
    assert Appointment.objects.count() == 1
    empty = staff.post(reverse("appointments_admin:patient_delete"), {"confirm": "yes"})
    assert empty.status_code == 400 and "Find the patient first" in empty.content.decode()


def test_a_patient_with_contact_messages_only_can_be_found_and_erased(staff, clinic):
    from wagtail.contrib.forms.models import FormSubmission

    from appointments.models import ContactPage

    home = clinic["site"].root_page
    contact = home.add_child(instance=ContactPage(title="Contact", slug="contact"))
    FormSubmission.objects.create(page=contact, form_data={"your_email": "Pat@Example.org", "your_message": "hello"})
    found = staff.post(reverse("appointments_admin:patient_data"), {"email": "pat@example.org"})
    assert "1 contact message" in found.content.decode() and 'name="confirm"' in found.content.decode()
    done = staff.post(
        reverse("appointments_admin:patient_delete"), {"email": "pat@example.org", "confirm": "yes"}, follow=True
    )
    assert "0 booking(s) and 1 contact message(s)" in done.content.decode()
    assert FormSubmission.objects.count() == 0


def test_cancel_and_decline_ask_first_and_only_the_confirmation_changes_anything(staff, clinic):
    request = booking.book(service="follow-up-session", practitioner="alex", start=SLOT, **details()).appointment
    outbox_before = DBTaskResult.objects.count()
    detail = staff.get(reverse("appointments_admin:detail", args=[request.pk])).content.decode()
    action_url = reverse("appointments_admin:action", args=[request.pk])
    assert f'href="{action_url}?action=decline"' in detail and f'href="{action_url}?action=cancel"' in detail
    question = staff.get(action_url, {"action": "cancel"})
    page = question.content.decode()
    assert question.status_code == 200 and "Cancel this appointment?" in page and "you can undo the cancel" in page
    assert request.reference in page and 'name="action" value="cancel"' in page
    request.refresh_from_db()
    assert request.status == Appointment.Status.PENDING and DBTaskResult.objects.count() == outbox_before
    # Anything else asked by GET goes back to the appointment, changing nothing.
    for name in ("confirm", "attended", "bogus", ""):
        assert staff.get(action_url, {"action": name})["Location"] == reverse(
            "appointments_admin:detail", args=[request.pk]
        )
    staff.post(action_url, {"action": "cancel"})
    request.refresh_from_db()
    assert request.status == Appointment.Status.CANCELLED
    assert staff.get(action_url, {"action": "cancel"}).status_code == 302  # nothing left to cancel


def test_calendar_rows_open_from_the_time_and_today_is_one_click(staff, clinic):
    """On a phone the grid scrolls sideways; the appointment's time opens it."""
    appointment = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details()).appointment
    page = staff.get(reverse("appointments_admin:calendar"), {"date": "2027-01-12", "view": "day"}).content.decode()
    detail = reverse("appointments_admin:detail", args=[appointment.pk])
    assert f'<a href="{detail}">10:00–11:00 Pat Patient</a>' in page
    assert 'href="?view=day">Today</a>' in page and "appointments/admin.css" in page


def test_a_closure_or_time_off_over_existing_bookings_warns_the_staff(staff, clinic):
    from appointments.models import Closure, TimeOff

    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    response = staff.post(
        reverse("wagtailsnippets_appointments_closure:add"),
        {"first_day": "2027-01-11", "last_day": "2027-01-12", "reason": "Holiday"},
        follow=True,
    )
    assert Closure.objects.count() == 1
    assert "1 booking is still in this time" in response.content.decode()
    quiet = staff.post(
        reverse("wagtailsnippets_appointments_closure:add"),
        {"first_day": "2027-01-13", "last_day": "2027-01-13", "reason": "Training"},
        follow=True,
    )
    assert "still in this time" not in quiet.content.decode()
    other = staff.post(
        reverse("wagtailsnippets_appointments_timeoff:add"),
        {"practitioner": clinic["b"].pk, "starts_at": "2027-01-12 09:00", "ends_at": "2027-01-12 17:00"},
        follow=True,
    )
    assert TimeOff.objects.count() == 1 and "still in this time" not in other.content.decode()  # Sam is free
    mine = staff.post(
        reverse("wagtailsnippets_appointments_timeoff:add"),
        {"practitioner": clinic["a"].pk, "starts_at": "2027-01-12 09:00", "ends_at": "2027-01-12 17:00"},
        follow=True,
    )
    assert TimeOff.objects.count() == 2 and "1 booking is still in this time" in mine.content.decode()


def test_patient_lookup_and_export_never_put_the_address_in_a_url(staff, clinic):
    """URLs are written to access logs and browser history; the patient's address must travel in the body."""
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    url = reverse("appointments_admin:patient_data")
    blank = staff.get(url).content.decode()
    assert re.search(r'<form method="post" action="' + re.escape(url) + '">\\s*<input type="hidden" name="csrf', blank)
    # An address in the query string (an old bookmark, a typed URL) is not looked up.
    assert "1 booking" not in staff.get(url, {"email": "pat@example.org"}).content.decode()
    found = staff.post(url, {"email": "pat@example.org"}).content.decode()
    assert "1 booking" in found
    assert "pat%40example.org" not in found and "?email=" not in found  # no link carries it
    exported = staff.post(url, {"email": "pat@example.org", "format": "csv"})
    assert exported["Content-Type"] == "text/csv" and b"pat@example.org" in exported.content


def test_erasing_a_patient_also_removes_the_outbox_copy_of_their_contact_message(client, contact_page, frozen):
    """The sent contact mail stays in the outbox table (message and address in its arguments)."""
    from appointments.patient_data import delete_patient, purge_expired
    from appointments.plain_mail import send_plain_email

    data = {"your_name": "Pat", "your_email": "Pat@Example.org", "your_message": "About my back"}
    assert client.post(contact_page, data).status_code == 200
    client.post(contact_page, {**data, "your_email": "other@example.org"})
    outbox.drain()
    tasks = DBTaskResult.objects.filter(task_path=send_plain_email.module_path)
    assert tasks.count() == 2 and "About my back" in str(tasks.first().args_kwargs)
    delete_patient("pat@example.org")
    assert [t.args_kwargs["kwargs"]["reply_to"] for t in tasks.all()] == [["other@example.org"]]
    # And the retention purge removes the other sender's copy once it is past the retention period.
    frozen.move_to(NOW + dt.timedelta(days=800))
    purge_expired()
    assert not tasks.all().exists()


def test_csv_exports_staff_open_in_a_spreadsheet_never_carry_a_live_formula(staff, clinic, contact_page):
    """A patient types the name and the message; "=HYPERLINK(...)" must arrive as text, not run."""
    from appointments.models import ContactPage

    formula = '=HYPERLINK("http://evil.example","x")'
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details(name=formula))
    listing = reverse("wagtailsnippets_appointments_appointment:list") + "?export=csv"
    exported = b"".join(staff.get(listing).streaming_content).decode()
    assert "'=HYPERLINK(" in exported and ",=HYPERLINK(" not in exported and '"=HYPERLINK(' not in exported
    client = staff
    data = {"your_name": "Pat", "your_email": "pat@example.org", "your_message": "@SUM(1+1)*cmd"}
    client.logout()
    assert client.post(contact_page, data).status_code == 200
    client.force_login(User.objects.get(username="staff"))
    page = ContactPage.objects.get()
    submissions = client.get(reverse("wagtailforms:list_submissions", args=[page.pk]) + "?export=csv")
    text = b"".join(submissions.streaming_content).decode()
    assert "'@SUM(1+1)*cmd" in text and ",@SUM" not in text
