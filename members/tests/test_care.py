"""Members access that lasts while the patient is in care (members/care.py): passes given from an
appointment, ended by time, cancellation and erasure, extended by bookings; the gate's wording."""

import datetime as dt
import itertools
import zoneinfo

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from appointments import booking
from appointments.models import Appointment, Practitioner, Service
from appointments.patient_data import delete_patient
from members import access_state, care, passes
from members.models import MembersPolicy, PatientPass

from .conftest import enter

# Monday 1 March 2027, 09:00 in London (GMT): the clinic's day used throughout.
T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
LONDON = zoneinfo.ZoneInfo("Europe/London")
ENDED = "This pass has ended. Please ask at your next visit."
GENERIC = "That password or pass code did not work. Check it and try again."


@pytest.fixture
def clinic(db):
    from wagtail.models import Site

    from clinic.testing import ensure_wagtail_tree
    from pages.models import ClinicSettings

    ensure_wagtail_tree()
    settings_row = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    settings_row.time_zone = "Europe/London"
    settings_row.save()
    practitioner = Practitioner.objects.create(name="Alex Example", slug="alex")
    service = Service.objects.create(name="Follow-up", slug="follow-up", duration_minutes=45)
    service.practitioners.set([practitioner])
    return {"practitioner": practitioner, "service": service}


SEEN_BY = itertools.count()


def visit(clinic, start, *, status="confirmed", email="pat@example.org", phone="+44 20 7946 0001"):
    """An appointment row as the booking service leaves it (saved, so the signals run); each with a
    practitioner of its own, so PostgreSQL's no-overlap constraint never refuses the test's times."""
    practitioner = Practitioner.objects.create(name="Practitioner", slug=f"p-{next(SEEN_BY)}")
    item = Appointment(
        practitioner=practitioner,
        service=clinic["service"],
        start=start,
        end=start + dt.timedelta(minutes=45),
        blocked_until=start + dt.timedelta(minutes=45),
        status=status,
        name="Pat Patient",
        email=email,
        phone=phone,
        consent=True,
    )
    item.set_manage_token()
    item.save()
    return item


def day_end(day: dt.date) -> dt.datetime:
    """Midnight after `day` in London (BST from the end of March)."""
    return dt.datetime.combine(day + DAY, dt.time.min, tzinfo=LONDON)


def give(appointment, now=T0):
    item, made = care.give_access(appointment=appointment, now=now)
    assert made
    return item, passes.code_of(item)


@pytest.mark.django_db
def test_pass_from_an_attended_visit_opens_the_area(clinic, members, client):
    attended = visit(clinic, T0 - 2 * DAY, status="attended")
    with time_machine.travel(T0, tick=False):
        item, code = give(attended)
        assert item.in_care and item.patient_key and "pat@example.org" not in str(PatientPass.objects.values().get())
        # Seen on 27 February; 90 days on is 28 May, to its end in London (BST): 23:00 UTC.
        assert item.valid_until == day_end(dt.date(2027, 2, 27) + 90 * DAY)
        assert item.valid_until == dt.datetime(2027, 5, 28, 23, 0, tzinfo=dt.UTC)
        response = enter(client, code, members[0].url)
        assert response.status_code == 302
        assert client.get(members[0].url).status_code == 200


@pytest.mark.django_db
def test_it_ends_n_days_after_the_last_visit(clinic):
    attended = visit(clinic, T0, status="attended")
    item, code = give(attended, now=T0 + dt.timedelta(hours=1))
    last_moment = day_end(T0.date() + 90 * DAY) - dt.timedelta(seconds=1)
    with time_machine.travel(last_moment, tick=False):
        assert access_state.pass_grants_access(pass_id=item.pk, now=timezone.now())
        assert passes.check(candidate=code, now=timezone.now()) is not None
    with time_machine.travel(last_moment + dt.timedelta(seconds=1), tick=False):
        assert not access_state.pass_grants_access(pass_id=item.pk, now=timezone.now())
        assert passes.check(candidate=code, now=timezone.now()) is None
        assert passes.has_ended(candidate=code, now=timezone.now())


@pytest.mark.django_db
def test_the_number_of_days_is_the_clinics_rule_and_changing_it_recomputes(clinic):
    item, _code = give(visit(clinic, T0, status="attended"), now=T0 + dt.timedelta(hours=1))
    policy = MembersPolicy.load()
    policy.care_days = 30
    policy.save()
    item.refresh_from_db()
    assert item.valid_until == day_end(T0.date() + 30 * DAY)


@pytest.mark.django_db
def test_a_new_booking_extends_it_and_attending_extends_it_again(clinic):
    item, _code = give(visit(clinic, T0, status="attended"), now=T0 + dt.timedelta(hours=1))
    later = T0 + 120 * DAY
    upcoming = visit(clinic, later)  # booked by reception for four months on
    item.refresh_from_db()
    assert item.valid_until == day_end(later.date())
    assert item.booked_until_on == later.date() and item.last_attended_on == T0.date()
    with time_machine.travel(later + dt.timedelta(minutes=50), tick=False):
        booking.change_status(appointment=upcoming, action="attended")
    item.refresh_from_db()
    assert item.valid_until == day_end(later.date() + 90 * DAY)


@pytest.mark.django_db
def test_cancelling_the_only_upcoming_visit_ends_it(clinic, members, client):
    upcoming = visit(clinic, T0 + 7 * DAY)
    with time_machine.travel(T0, tick=False):
        item, code = give(upcoming)
        assert item.valid_until == day_end((T0 + 7 * DAY).date())
        assert enter(client, code, members[0].url).status_code == 302
        assert client.get(members[0].url).status_code == 200
        booking.change_status(appointment=upcoming, action="cancel")
        item.refresh_from_db()
        assert item.valid_until <= timezone.now()
        # The session it granted closes on its very next request, without waiting.
        assert client.get(members[0].url).status_code == 403
        assert ENDED in enter(client, code, members[0].url).content.decode()


@pytest.mark.django_db
def test_cancelling_keeps_it_while_a_recent_attended_visit_counts(clinic):
    visit(clinic, T0 - 10 * DAY, status="attended")
    upcoming = visit(clinic, T0 + 7 * DAY)
    with time_machine.travel(T0, tick=False):
        item, _code = give(upcoming)
        booking.change_status(appointment=upcoming, action="cancel")
    item.refresh_from_db()
    assert item.valid_until == day_end((T0 - 10 * DAY).date() + 90 * DAY)


@pytest.mark.django_db
def test_a_session_granted_by_it_closes_on_its_next_request_once_it_ends(clinic, members, client):
    attended = visit(clinic, T0, status="attended")
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        _item, code = give(attended, now=timezone.now())
        enter(client, code, members[0].url)
        assert client.get(members[0].url).status_code == 200
    with time_machine.travel(day_end(T0.date() + 90 * DAY), tick=False):
        assert client.get(members[0].url).status_code == 403
        assert "members_grant" not in client.session


@pytest.mark.django_db
def test_erasing_the_patient_revokes_the_pass_and_removes_the_link(clinic, members, client):
    attended = visit(clinic, T0, status="attended", email="Pat@Example.org")
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        item, code = give(attended, now=timezone.now())
        enter(client, code, members[0].url)
        assert client.get(members[0].url).status_code == 200
        delete_patient("pat@example.ORG")
        item.refresh_from_db()
        assert item.revoked_at is not None
        assert (item.patient_key, item.label, item.code_encrypted) == ("", care.REMOVED_LABEL, "")
        assert item.last_attended_on is None and item.booked_until_on is None
        assert client.get(members[0].url).status_code == 403
        # Revoked, so the gate says nothing more than for a typo.
        assert GENERIC in enter(client, code, members[0].url).content.decode()


@pytest.mark.django_db
def test_erasing_a_patient_booked_by_phone_only_revokes_their_pass(clinic, members, client):
    from appointments.patient_data import Patient

    attended = visit(clinic, T0, status="attended", email="", phone="020 7946 0001")
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        item, code = give(attended, now=timezone.now())
        enter(client, code, members[0].url)
        assert client.get(members[0].url).status_code == 200
        assert delete_patient(Patient(phone="020-7946-0001", name="Pat Patient")) == 1
        item.refresh_from_db()
        assert item.revoked_at is not None and item.patient_key == ""
        assert client.get(members[0].url).status_code == 403


@pytest.mark.django_db
def test_ended_message_only_for_a_code_that_checks_out(clinic, members, client):
    upcoming = visit(clinic, T0 + DAY)
    with time_machine.travel(T0, tick=False):
        item, code = give(upcoming)
        other, other_code = passes.issue(label="Chart 9", valid_until=T0 + DAY, now=T0)
        passes.revoke(item=other, now=T0)
        booking.change_status(appointment=upcoming, action="cancel")
        ended = enter(client, code).content.decode()
        typo = code[:-1] + ("0" if code[-1] != "0" else "1")
        said = {
            "ended": ended,
            "typo": enter(client, typo).content.decode(),
            "guess": enter(client, "ZZZZZ-ZZZZZ").content.decode(),
            "revoked": enter(client, other_code).content.decode(),
            "password": enter(client, "maple-otter-kettle-42").content.decode(),
        }
    assert ENDED in said["ended"] and GENERIC not in said["ended"]
    for name in ("typo", "guess", "revoked", "password"):
        assert GENERIC in said[name] and ENDED not in said[name], name


@pytest.mark.django_db
def test_a_hand_issued_pass_that_ran_out_is_told_so_too(db, client):
    _item, code = passes.issue(label="Chart 3", valid_until=T0 + DAY, now=T0)
    with time_machine.travel(T0 + 2 * DAY, tick=False):
        assert ENDED in enter(client, code).content.decode()


@pytest.mark.django_db
def test_ended_passes_revive_with_a_new_confirmed_booking(clinic):
    upcoming = visit(clinic, T0 + DAY)
    item, _code = give(upcoming)
    booking.change_status(appointment=upcoming, action="cancel")
    item.refresh_from_db()
    assert not item.is_valid(now=T0)
    visit(clinic, T0 + 20 * DAY, email="PAT@example.org")
    item.refresh_from_db()
    assert item.is_valid(now=T0) and item.valid_until == day_end((T0 + 20 * DAY).date())


@pytest.mark.django_db
def test_a_booking_without_email_is_followed_by_its_phone_digits(clinic):
    first = visit(clinic, T0 + DAY, email="", phone="020 7946 0002")
    item, _code = give(first)
    visit(clinic, T0 + 30 * DAY, email="", phone="(020) 7946-0002")
    visit(clinic, T0 + 60 * DAY, email="", phone="020 7946 0003")  # someone else
    item.refresh_from_db()
    assert item.booked_until_on == (T0 + 30 * DAY).date()


@pytest.mark.django_db
def test_staff_changing_the_bookings_email_recomputes_the_pass_that_followed_it(clinic):
    upcoming = visit(clinic, T0 + DAY)
    item, _code = give(upcoming)
    upcoming.email = "someone.else@example.org"
    upcoming.save()
    item.refresh_from_db()
    assert not item.is_valid(now=T0)


@pytest.mark.django_db
def test_one_open_pass_per_patient_and_only_from_a_visit_that_counts(clinic):
    upcoming = visit(clinic, T0 + DAY)
    item, _code = give(upcoming)
    again, made = care.give_access(appointment=visit(clinic, T0 + 9 * DAY), now=T0)
    assert again.pk == item.pk and not made
    for status in ("pending", "cancelled", "no_show"):
        with pytest.raises(care.NotEligible):
            care.give_access(appointment=visit(clinic, T0 + 2 * DAY, status=status, email="x@example.org"), now=T0)
    long_ago = visit(clinic, T0 - 100 * DAY, status="attended", email="y@example.org")
    with pytest.raises(care.NotEligible):
        care.give_access(appointment=long_ago, now=T0)
    unmarked = visit(clinic, T0 - 2 * DAY, email="z@example.org")  # confirmed, never marked attended
    with pytest.raises(care.NotEligible):
        care.give_access(appointment=unmarked, now=T0)


@pytest.mark.django_db
def test_unrelated_appointment_saves_do_not_touch_the_access_version(clinic):
    give(visit(clinic, T0 + DAY))
    before = access_state.access_version.current()
    visit(clinic, T0 + 3 * DAY, email="other@example.org", phone="")
    assert access_state.access_version.current() == before
    visit(clinic, T0 + 3 * DAY)  # the patient's own new booking
    assert access_state.access_version.current() != before


@pytest.mark.django_db
def test_counts_on_the_members_access_screen(clinic):
    with time_machine.travel(T0, tick=False):
        give(visit(clinic, T0 + DAY))
        ended, _ = give(visit(clinic, T0 + DAY, email="b@example.org"))
        booking.change_status(appointment=Appointment.objects.get(email="b@example.org"), action="cancel")
        passes.issue(label="Chart 1", valid_until=T0 + 5 * DAY, now=T0)
        passes.issue(label="Chart 2", valid_until=T0 - DAY, now=T0 - 9 * DAY)  # ran out last month
        assert care.counts(now=T0) == {"in_care": 1, "by_hand": 1, "ended_this_month": 1}


def _staff(codenames):
    user = User.objects.create_user("desk", password="not-used-here-123")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["access_admin", *codenames]))
    return user


@pytest.mark.django_db
def test_giving_access_needs_the_members_pass_permission(clinic, client):
    upcoming = visit(clinic, T0 + DAY)
    page, give_url = f"/admin/appointments/{upcoming.pk}/", f"/admin/members-access/from-appointment/{upcoming.pk}/"
    client.force_login(_staff(["view_appointment", "change_appointment"]))
    assert "Give members access" not in client.get(page).content.decode()
    denied = client.post(give_url)  # Wagtail sends a refused admin request home with a message
    assert denied.status_code == 302 and denied["Location"] == "/admin/"
    assert not PatientPass.objects.exists()
    reception = User.objects.create_user("reception", password="not-used-here-123")
    reception.groups.add(Group.objects.get(name="Reception"))
    client.force_login(reception)
    assert "Give members access" in client.get(page).content.decode()
    assert client.post(give_url).status_code == 302
    shown = client.get(page).content.decode()
    assert "Active until" in shown and "Last confirmed visit booked" in shown
    item = PatientPass.objects.get()
    card = client.get(f"/admin/members-access/passes/{item.pk}/card/").content.decode()
    assert passes.code_of(item) in card and "for 90 days after each visit" in card
    assert client.post(f"/admin/members-access/from-appointment/{upcoming.pk + 999}/").status_code == 404


@pytest.mark.django_db
def test_the_pass_is_emailed_only_when_the_clinic_turns_that_on(clinic, client, mailoutbox):
    from django_tasks_db.models import DBTaskResult

    from appointments.outbox import drain

    reception = User.objects.create_user("reception", password="not-used-here-123")
    reception.groups.add(Group.objects.get(name="Reception"))
    first = visit(clinic, T0 + DAY)
    with time_machine.travel(T0, tick=False):
        client.force_login(reception)  # signed in at the test's time, or the session has long expired
        client.post(f"/admin/members-access/from-appointment/{first.pk}/")
        assert not DBTaskResult.objects.filter(task_path="members.pass_mail.send_pass_email").exists()  # default
        policy = MembersPolicy.load()
        policy.email_passes = True
        policy.save()
        second = visit(clinic, T0 + DAY, email="robin@example.org")
        client.post(f"/admin/members-access/from-appointment/{second.pk}/")
        queued = DBTaskResult.objects.get(task_path="members.pass_mail.send_pass_email")
        code = passes.code_of(PatientPass.objects.get(label=f"Booking {second.reference}"))
        # The queue holds ids only: no code, no address.
        assert passes.normalise(code) not in str(queued.args_kwargs).upper() and "robin" not in str(queued.args_kwargs)
        drain()
    assert [m.to for m in mailoutbox] == [["robin@example.org"]]
    assert code in mailoutbox[0].body and "90 days after each visit" in mailoutbox[0].body


@pytest.mark.django_db
def test_a_queued_pass_email_is_not_sent_once_the_patient_is_erased(clinic, mailoutbox):
    from appointments.outbox import drain
    from members import pass_mail

    policy = MembersPolicy.load()
    policy.email_passes = True
    policy.save()
    upcoming = visit(clinic, T0 + DAY)
    with time_machine.travel(T0, tick=False):
        item, _code = give(upcoming)
        assert pass_mail.queue(item=item, appointment=upcoming)
        delete_patient("pat@example.org")
        drain()
    assert mailoutbox == []
