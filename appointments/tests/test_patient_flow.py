"""Issue 11: patient booking that cannot go wrong (check your answers, one-time tokens, one patient one
booking, nothing pre-selected on a taken time, cancel asks first, the day step a week at a time)."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appointments import booking, drafts
from appointments.models import Appointment

from .conftest import SLOT, details

pytestmark = pytest.mark.usefixtures("frozen")

CHOICE = {"service": "initial-evaluation", "practitioner": "alex", "start": SLOT.isoformat()}
BOOK = {**CHOICE, "start": SLOT}


def send_details(client, **overrides):
    """Step 4 sent with good answers: the check page's address."""
    response = client.post("/appointments/details/", {**CHOICE, **details(consent="yes", phone=""), **overrides})
    assert response.status_code == 303, response.content.decode()[:2000]
    return response["Location"]


def test_details_save_nothing_and_the_check_page_shows_every_answer_with_a_change_link(client, clinic):
    check_url = send_details(client, message="Left side,\r\nsince Monday.")
    assert Appointment.objects.count() == 0 and DBTaskResult.objects.count() == 0
    page = client.get(check_url)
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in html
    for answer in ("Initial evaluation", "Alex Example", "Tuesday 12 January 2027, 10:00", "Pat Patient"):
        assert answer in html
    assert "pat@example.org" in html and "Left side,<br>since Monday." in html
    assert len(re.findall(r">Change<span class=\"visually-hidden\">", html)) == 7
    assert "until 24 hours before the appointment; after that, please phone the clinic" in html
    assert "Book appointment" in html


def test_a_change_link_keeps_what_was_typed_and_changes_the_same_answers(client, clinic):
    check_url = send_details(client, name="Robin Reader", message="Left side.")
    draft = check_url.rstrip("/").rsplit("/", 1)[1]
    html = client.get(check_url).content.decode()
    change = re.search(r'href="(/appointments/details/\?[^"]+)#id_name"', html).group(1).replace("&amp;", "&")
    form = client.get(change).content.decode()
    assert 'value="Robin Reader"' in form and "Left side." in form and 'value="yes" checked' in form
    assert f'name="draft" value="{draft}"' in form
    again = client.post(
        "/appointments/details/", {**CHOICE, **details(consent="yes", name="Robin Writer", phone=""), "draft": draft}
    )
    assert again["Location"] == check_url, "the same answers, changed; not a second set"
    assert "Robin Writer" in client.get(check_url).content.decode()
    # Changing the time goes through the time step and comes back to the same answers.
    time_link = re.search(r'href="(/appointments/time/\?[^"]+)"', html).group(1).replace("&amp;", "&")
    new_start = "2027-01-12T14:00:00+00:00"
    to_details = client.get(time_link + "&start=" + new_start.replace("+", "%2B"))
    assert f"draft={draft}" in to_details["Location"]
    form = client.get(to_details["Location"]).content.decode()
    assert 'value="Robin Writer"' in form
    moved = client.post(
        "/appointments/details/", {**CHOICE, **details(consent="yes", phone=""), "draft": draft, "start": new_start}
    )
    assert moved["Location"] == check_url and "14:00" in client.get(check_url).content.decode()
    assert Appointment.objects.count() == 0


def test_pressing_book_twice_books_once_and_shows_the_booking_made(client, clinic):
    check_url = send_details(client)
    first = client.post(check_url)
    second = client.post(check_url)  # double tap, reload, Back and resubmit, or another tab
    assert Appointment.objects.count() == 1
    appointment = Appointment.objects.get()
    assert first.status_code == second.status_code == 303
    assert first["Location"].split("?")[0] == second["Location"].split("?")[0]
    assert first["Location"].endswith("?new=1") and second["Location"].endswith("?already=1")
    shown = client.get(second["Location"]).content.decode()
    assert appointment.reference in shown and "Nothing was booked twice" in shown
    assert DBTaskResult.objects.count() == 2, "one patient email and one clinic email"


def test_back_after_booking_never_shows_a_form_that_can_book_again(client, clinic):
    check_url = send_details(client)
    booked = client.post(check_url)["Location"].split("?")[0]
    draft = check_url.rstrip("/").rsplit("/", 1)[1]
    # Back once (check page), twice (the details form as changed), three times (the form as first opened).
    for url in (check_url, f"/appointments/details/?{'&'.join(f'{k}={v}' for k, v in CHOICE.items())}&draft={draft}"):
        response = client.get(url.replace("+", "%2B"))
        assert response.status_code == 303 and response["Location"].startswith(booked), url
    first_form = client.get("/appointments/details/", CHOICE)
    assert first_form.status_code == 303 and first_form["Location"].startswith(booked)
    assert "just taken" not in client.get(first_form["Location"]).content.decode()
    # The answers themselves are forgotten once booked.
    assert "name" not in client.session[drafts.SESSION_KEY][draft]


def test_a_booking_made_by_another_request_meanwhile_is_shown_not_repeated(client, clinic):
    """The second of two simultaneous presses finds the booking the first made with the same token."""
    check_url = send_details(client)
    draft = client.session[drafts.SESSION_KEY][check_url.rstrip("/").rsplit("/", 1)[1]]
    booking.book(**BOOK, **details(phone=""), manage_token=drafts.manage_token_for(draft))
    response = client.post(check_url)
    assert response.status_code == 303 and response["Location"].endswith("?already=1")
    assert Appointment.objects.count() == 1


def test_a_taken_time_preselects_nothing_and_books_only_what_the_patient_picks(client, clinic):
    check_url = send_details(client)
    booking.book(**BOOK, **details(email="other@example.org", phone=""))
    taken = client.post(check_url)
    html = taken.content.decode()
    assert taken.status_code == 409 and "just taken" in html
    assert 'name="start" id="alt-1"' in html and " checked" not in html
    assert "Book appointment" not in html, "nothing to book until a free time is chosen"
    # Pressing "Use this time" without a choice books nothing and chooses nothing.
    nothing = client.post(check_url, {"action": "time"})
    assert nothing.status_code == 400 and "Choose one of the free times" in nothing.content.decode()
    alternatives = re.findall(r'name="start" id="alt-\d+" value="([^"]+)"', html)
    picked = alternatives[1]
    chosen = client.post(check_url, {"action": "time", "start": picked})
    assert chosen.status_code == 303 and Appointment.objects.count() == 1
    summary = client.get(check_url).content.decode()
    local = dt.datetime.fromisoformat(picked)
    assert f"{local:%H:%M}" in summary and "Book appointment" in summary
    client.post(check_url)
    assert Appointment.objects.get(email="pat@example.org").start == local


def test_the_details_form_on_a_taken_time_chooses_nothing_for_the_patient(client, clinic):
    booking.book(**BOOK, **details(email="other@example.org"))
    page = client.get("/appointments/details/", CHOICE)
    html = page.content.decode()
    assert page.status_code == 409 and 'id="alt-1"' in html and " checked" not in html
    assert "is no longer free" in html
    sent = client.post("/appointments/details/", {**CHOICE, **details(consent="yes"), "start": "", "taken": SLOT})
    assert sent.status_code == 400 and "Choose one of the free times" in sent.content.decode()
    assert 'id="alt-1"' in sent.content.decode() and 'value="Pat Patient"' in sent.content.decode()
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    "other",
    [
        {"practitioner": "sam", "email": "PAT@example.org", "phone": ""},  # same email, any case
        {"practitioner": "sam", "email": "someone@example.org", "phone": "020 7946 0001"},  # same phone
    ],
)
def test_one_patient_cannot_hold_two_overlapping_appointments(client, clinic, other):
    booking.book(
        service="follow-up-session",
        start=SLOT + dt.timedelta(minutes=30),
        practitioner=other["practitioner"],
        **details(email=other["email"], phone=other["phone"]),
    )
    check_url = send_details(client, phone="02079460001")
    response = client.post(check_url)
    assert response.status_code == 409 and "You already have an appointment at this time" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_the_same_service_twice_on_one_day_asks_first(client, clinic):
    booking.book(service="initial-evaluation", start=SLOT + dt.timedelta(hours=4), practitioner="sam", **details())
    check_url = send_details(client)
    asked = client.post(check_url)
    html = asked.content.decode()
    assert asked.status_code == 409 and "You already have Initial evaluation on this day, at 14:00." in html
    assert 'name="repeat" value="yes"' in html and Appointment.objects.count() == 1
    yes = client.post(check_url, {"repeat": "yes"})
    assert yes.status_code == 303 and Appointment.objects.count() == 2


def test_cancel_asks_first_on_a_second_page(client, clinic):
    booked = booking.book(**BOOK, **details())
    manage = reverse("appointments:manage", args=[booked.manage_token])
    cancel = reverse("appointments:manage_cancel", args=[booked.manage_token])
    html = client.get(manage).content.decode()
    assert 'method="post"' not in html, "nothing on the appointment page cancels"
    assert html.index("Choose another time") < html.index("Cancel this appointment")
    assert f'class="link--danger" href="{cancel}"' in html
    question = client.get(cancel)
    assert question.status_code == 200 and "Are you sure you want to cancel" in question.content.decode()
    assert 'class="button--danger"' in question.content.decode() and "no-store" in question["Cache-Control"]
    # An old page's one-tap cancel form now asks first too.
    old_form = client.post(manage, {"action": "cancel"})
    assert old_form.status_code == 303 and old_form["Location"] == cancel
    assert Appointment.objects.get().status == Appointment.Status.CONFIRMED
    done = client.post(cancel)
    assert done.status_code == 303 and "Your appointment is cancelled" in client.get(done["Location"]).text
    assert Appointment.objects.get().status == Appointment.Status.CANCELLED


def test_the_start_page_is_indexable_with_a_description_and_later_steps_are_not(client, clinic):
    start = client.get("/appointments/").content.decode()
    assert '<meta name="description" content="Book an appointment at' in start
    assert "noindex" not in start
    chosen = client.get("/appointments/", {"service": "nope"}).content.decode()
    assert '<meta name="robots" content="noindex">' in chosen
    days = client.get("/appointments/day/", {"service": "initial-evaluation"}).content.decode()
    assert '<meta name="robots" content="noindex">' in days and 'name="description"' not in days


def test_nothing_is_pre_selected_on_the_choice_steps(client, clinic):
    start = client.get("/appointments/").content.decode()
    assert not re.search(r'name="service"[^>]* checked', start)
    times = client.get("/appointments/time/", {"service": "initial-evaluation", "day": "2027-01-12"})
    assert not re.search(r'name="start"[^>]* checked', times.text)
    unchosen = client.get("/appointments/time/", {"service": "initial-evaluation", "day": "2027-01-12", "start": ""})
    assert unchosen.status_code == 400 and "Choose a time." in unchosen.text


def test_the_day_step_is_one_week_with_previous_and_next(client, clinic):
    page = client.get("/appointments/day/", {"service": "initial-evaluation", "practitioner": "alex"})
    html = page.text
    # Monday 4 January at 09:00: the first week with free times is this one.
    assert "Week of Monday 4 January 2027" in html
    # Monday itself is inside the 12 hours' notice; the weekend has no hours.
    assert len(re.findall(r'type="radio" name="day"', html)) == 4 and html.count("no free times") == 3
    assert "Saturday 9 January" in html and "Previous week" not in html
    assert 'week=2027-01-11">Next week' in html
    assert html.index('type="submit"') < html.index("Next week"), "Continue comes before the other weeks"
    nxt = client.get(
        "/appointments/day/", {"service": "initial-evaluation", "practitioner": "alex", "week": "2027-01-13"}
    )
    assert "Week of Monday 11 January 2027" in nxt.text and 'week=2027-01-04">Previous week' in nxt.text
    # A week past the horizon shows the last one; nothing is chosen until the patient chooses.
    far = client.get("/appointments/day/", {"service": "initial-evaluation", "week": "2030-01-07"})
    assert far.status_code == 200 and "Next week" not in far.text
    none = client.get("/appointments/day/", {"service": "initial-evaluation", "week": "2027-01-11", "day": ""})
    assert none.status_code == 400 and "Choose a day." in none.text and "Week of Monday 11 January 2027" in none.text
    assert client.get("/appointments/day/", {"service": "initial-evaluation", "week": "soon"}).status_code == 400


@given(
    path=st.sampled_from(["details", "check"]),
    params=st.dictionaries(
        st.sampled_from(
            [
                "service",
                "practitioner",
                "start",
                "taken",
                "draft",
                "name",
                "email",
                "phone",
                "message",
                "consent",
                "action",
                "repeat",
            ]
        ),
        st.one_of(
            st.text(max_size=60), st.sampled_from(["initial-evaluation", "alex", "yes", "time", SLOT.isoformat()])
        ),
    ),
    method=st.sampled_from(["get", "post"]),
)
@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_to_the_answer_steps_makes_a_server_error_or_saves_anything(client, clinic, path, params, method):
    url = "/appointments/details/" if path == "details" else "/appointments/check/" + (params.get("draft") or "x") + "/"
    try:
        response = getattr(client, method)(url, params)
    except ValueError:  # the test client refuses a NUL in a URL, as a browser would
        return
    assert response.status_code < 500
    assert Appointment.objects.count() == 0 and DBTaskResult.objects.count() == 0


def test_what_happens_next_on_the_confirmation_and_in_the_email(client, clinic):
    from django.core import mail

    from appointments import outbox
    from pages.models import ClinicSettings

    settings_ = ClinicSettings.for_site(clinic["site"])
    settings_.street_address, settings_.locality, settings_.phone = "1 Test Road", "Testville", "020 7946 0999"
    settings_.arrive_minutes_before = 10
    settings_.nearest_station = "Testville Central, 5 minutes' walk"
    settings_.parking = "No parking on site"
    settings_.map_url = "https://maps.example/testville"
    settings_.save()
    clinic["initial"].price_text = "£60"
    clinic["initial"].save()
    check_url = send_details(client)
    page = client.get(client.post(check_url)["Location"]).content.decode()
    section = page[page.index("What happens next") :]
    for expected in (
        "Please arrive 10 minutes early, at 09:50.",
        "1 Test Road",
        "Testville Central, 5 minutes&#x27; walk",
        "No parking on site",
        'href="https://maps.example/testville"',
        "£60",
        "until 24 hours before (until Monday 11 January, 10:00); after that, please phone the clinic.",
        'href="tel:02079460999"',
        Appointment.objects.get().reference + ": please give it",
    ):
        assert expected in section, expected
    outbox.drain()
    body = next(m for m in mail.outbox if m.to == ["pat@example.org"]).body
    for expected in (
        "Please arrive 10 minutes early, at 09:50.",
        "Nearest station: Testville Central",
        "Parking: No",
        "Map: https://maps.example/testville",
        "Cost: £60",
        "until 24 hours before (until Monday 11",
    ):
        assert expected in body, expected


def test_what_happens_next_leaves_out_what_the_clinic_has_not_given(client, clinic):
    booked = booking.book(**BOOK, **details())
    page = client.get(reverse("appointments:manage", args=[booked.manage_token])).content.decode()
    section = page[page.index("What happens next") :]
    assert "Your appointment starts at 10:00." in section and "minutes early" not in section
    for absent in ("Nearest station", "Parking", "Open a map", "Cost"):
        assert absent not in section, absent


def test_back_to_a_booking_since_cancelled_offers_the_time_again_not_the_old_booking(client, clinic):
    check_url = send_details(client)
    booked = client.post(check_url)["Location"].split("?")[0]
    token = booked.rstrip("/").rsplit("/", 1)[1]
    client.post(reverse("appointments:manage_cancel", args=[token]))
    again = client.get("/appointments/details/", CHOICE)
    assert again.status_code == 200 and 'name="name"' in again.text, "the freed time can be booked again"
    shown = client.get(booked + "?already=1").text
    assert "Appointment booked" not in shown and "Nothing was booked twice" not in shown


def test_passed_days_of_this_week_show_as_past_and_previous_week_needs_something_left(client, clinic, frozen):
    args = {"service": "initial-evaluation", "practitioner": "alex"}
    # Thursday 7 January 09:00: Monday to Wednesday have gone, Thursday is inside the notice period.
    frozen.move_to(dt.datetime(2027, 1, 7, 9, 0, tzinfo=dt.UTC))
    html = client.get("/appointments/day/", args).text
    assert "Week of Monday 4 January 2027" in html
    past = re.findall(r'choice--past"><span>([^<]+)</span> <span class="choice__count">past<', html)
    assert past == ["Monday 4 January", "Tuesday 5 January", "Wednesday 6 January"]
    assert html.count("no free times") == 3, "Thursday (notice) and the weekend, not the days gone"
    nxt = client.get("/appointments/day/", {**args, "week": "2027-01-11"}).text
    assert 'week=2027-01-04">Previous week' in nxt, "Friday 8 January is still free"
    # Friday 8 January 09:00: nothing is left to book this week, so no way back to it.
    frozen.move_to(dt.datetime(2027, 1, 8, 9, 0, tzinfo=dt.UTC))
    html = client.get("/appointments/day/", args).text
    assert "Week of Monday 11 January 2027" in html and "Previous week" not in html
    asked = client.get("/appointments/day/", {**args, "week": "2027-01-04"}).text
    assert "Week of Monday 4 January 2027" in asked and "Previous week" not in asked
    assert len(re.findall(r"choice--past", asked)) == 4
