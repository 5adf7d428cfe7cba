"""The pure slot engine: properties over random calendars, and DST days in zones that have them."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from appointments.slots import (
    Interval,
    Policy,
    PractitionerCalendar,
    WeeklyHours,
    available_slots,
    local_day_span,
    nearest,
    wall_to_utc,
)

UTC = dt.UTC
ZONES = [ZoneInfo("Europe/London"), ZoneInfo("America/New_York"), ZoneInfo("Australia/Sydney"), ZoneInfo("UTC")]
# Windows that contain DST changes in both hemispheres.
BASE_DAYS = [
    dt.date(2026, 3, 26),
    dt.date(2026, 10, 22),
    dt.date(2026, 3, 5),
    dt.date(2026, 10, 29),
    dt.date(2026, 4, 2),
]


def jump_or_instant(naive: dt.datetime, tz) -> dt.datetime:
    """The instant of a wall-clock time; for one a gap skips, the first whole minute at or after it
    (found by walking minutes, unlike the engine's bisection; real jumps fall on whole minutes)."""
    instant = naive.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant
    candidate = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    while candidate.astimezone(tz).replace(tzinfo=None) < naive:
        candidate += dt.timedelta(minutes=1)
    return candidate


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


@st.composite
def weekly_hours(draw):
    weekday = draw(st.integers(0, 6))
    start_minutes = draw(st.integers(0, 22 * 60)) // 15 * 15
    length = draw(st.integers(30, 10 * 60)) // 15 * 15
    end_minutes = min(start_minutes + length, 24 * 60 - 1)
    return WeeklyHours(
        weekday, dt.time(start_minutes // 60, start_minutes % 60), dt.time(end_minutes // 60, end_minutes % 60)
    )


@st.composite
def scenario(draw):
    tz = draw(st.sampled_from(ZONES))
    base = draw(st.sampled_from(BASE_DAYS))
    now = dt.datetime.combine(base, dt.time(0), tzinfo=UTC) + dt.timedelta(minutes=draw(st.integers(0, 48 * 60)))

    def interval():
        start = now + dt.timedelta(minutes=draw(st.integers(-24 * 60, 14 * 24 * 60)))
        return Interval(start, start + dt.timedelta(minutes=draw(st.integers(5, 8 * 60))))

    calendars = []
    for key in ("a", "b")[: draw(st.integers(1, 2))]:
        calendars.append(
            PractitionerCalendar(
                key=key,
                hours=tuple(draw(st.lists(weekly_hours(), min_size=1, max_size=8))),
                busy=tuple(interval() for _ in range(draw(st.integers(0, 8)))),
            )
        )
    policy = Policy(
        duration=dt.timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90]))),
        buffer=dt.timedelta(minutes=draw(st.sampled_from([0, 5, 15]))),
        step=dt.timedelta(minutes=draw(st.sampled_from([5, 15, 30, 60]))),
        min_notice=dt.timedelta(hours=draw(st.integers(0, 48))),
        horizon=dt.timedelta(days=draw(st.integers(1, 14))),
    )
    closures = [interval() for _ in range(draw(st.integers(0, 2)))]
    return tz, now, calendars, policy, closures


@settings(max_examples=150, deadline=None)
@given(scenario())
def test_no_slot_breaks_a_rule(case):
    tz, now, calendars, policy, closures = case
    first_day = now.astimezone(tz).date() - dt.timedelta(days=1)
    slots = available_slots(
        calendars=calendars,
        policy=policy,
        closures=closures,
        tz=tz,
        now=now,
        first_day=first_day,
        last_day=first_day + dt.timedelta(days=16),
    )
    by_key = {c.key: c for c in calendars}
    for slot in slots:
        assert slot.end - slot.start == policy.duration  # real elapsed time, also on DST days
        assert slot.start >= now + policy.min_notice
        assert slot.start <= now + policy.horizon
        blocked_end = slot.end + policy.buffer
        for busy in by_key[slot.practitioner].busy:
            assert not overlaps(slot.start, blocked_end, busy.start, busy.end), (slot, busy)
        for closure in closures:
            assert not overlaps(slot.start, blocked_end, closure.start, closure.end), (slot, closure)
        local_start = slot.start.astimezone(tz)
        day = local_start.date()
        inside = False
        for hours in by_key[slot.practitioner].hours:
            if hours.weekday != day.weekday():
                continue
            # A start or end time that a spring-forward gap skips falls on the jump itself.
            starts_in_time = local_start.replace(tzinfo=None) >= dt.datetime.combine(day, hours.starts)
            period_end = jump_or_instant(dt.datetime.combine(day, hours.ends), tz)
            on_grid = (
                dt.datetime.combine(day, local_start.time()) - dt.datetime.combine(day, hours.starts)
            ) % policy.step == dt.timedelta(0)
            if starts_in_time and slot.end <= period_end and on_grid:
                inside = True
        assert inside, slot
    # Sorted and free of duplicates.
    assert slots == sorted(set(slots))


@settings(max_examples=60, deadline=None)
@given(scenario())
def test_ignoring_busy_time_only_adds_slots(case):
    """Busy time removes slots and never creates one: the offered slots are a subset of the grid."""
    tz, now, calendars, policy, closures = case
    common = {
        "calendars": calendars,
        "policy": policy,
        "tz": tz,
        "now": now,
        "first_day": now.astimezone(tz).date(),
        "last_day": now.astimezone(tz).date() + dt.timedelta(days=15),
    }
    free = set(available_slots(closures=closures, **common))
    grid = set(available_slots(closures=[], ignore_busy=True, **common))
    assert free <= grid


def week(starts=dt.time(9), ends=dt.time(17)):
    return tuple(WeeklyHours(d, starts, ends) for d in range(7))


def slots_on(day, tz, **kwargs):
    policy = kwargs.pop(
        "policy", Policy(duration=dt.timedelta(minutes=60), step=dt.timedelta(minutes=60), min_notice=dt.timedelta(0))
    )
    calendar = PractitionerCalendar(key="a", hours=kwargs.pop("hours", week()), busy=kwargs.pop("busy", ()))
    return available_slots(
        calendars=[calendar],
        policy=policy,
        closures=kwargs.pop("closures", []),
        tz=tz,
        now=kwargs.pop("now", dt.datetime(2026, 1, 1, tzinfo=UTC)),
        first_day=day,
        last_day=day,
    )


def test_london_spring_forward_keeps_wall_clock_times():
    london = ZoneInfo("Europe/London")
    before = slots_on(dt.date(2026, 3, 28), london, now=dt.datetime(2026, 3, 1, tzinfo=UTC))
    after = slots_on(dt.date(2026, 3, 30), london, now=dt.datetime(2026, 3, 1, tzinfo=UTC))
    assert [s.start.astimezone(london).time() for s in before] == [s.start.astimezone(london).time() for s in after]
    assert before[0].start.hour == 9  # GMT
    assert after[0].start.hour == 8  # BST: 09:00 local is 08:00 UTC
    assert len(after) == 8


def test_new_york_fall_back_day_has_every_hour_once():
    new_york = ZoneInfo("America/New_York")
    day = dt.date(2026, 11, 1)
    slots = slots_on(day, new_york, hours=week(dt.time(0), dt.time(4)), now=dt.datetime(2026, 10, 1, tzinfo=UTC))
    # 00:00 to 04:00 local is five real hours on the day clocks go back; the 01:00 wall time repeats,
    # and a one-hour grid in wall-clock time gives 00:00, 01:00 (first), 02:00 and 03:00 starts.
    local_times = [s.start.astimezone(new_york).strftime("%H:%M") for s in slots]
    assert local_times == ["00:00", "01:00", "02:00", "03:00"]
    for slot in slots:
        assert slot.end - slot.start == dt.timedelta(hours=1)


def test_new_york_spring_forward_skips_the_missing_hour():
    new_york = ZoneInfo("America/New_York")
    day = dt.date(2026, 3, 8)
    slots = slots_on(day, new_york, hours=week(dt.time(1), dt.time(5)), now=dt.datetime(2026, 3, 1, tzinfo=UTC))
    local_times = [s.start.astimezone(new_york).strftime("%H:%M") for s in slots]
    assert "02:00" not in local_times  # does not exist that night
    assert local_times == ["01:00", "03:00", "04:00"]
    assert wall_to_utc(day, dt.time(2, 30), new_york) is None


def test_local_day_span_is_23_or_25_hours_on_dst_days():
    london = ZoneInfo("Europe/London")
    spring = local_day_span(dt.date(2026, 3, 29), london)
    autumn = local_day_span(dt.date(2026, 10, 25), london)
    assert spring.end - spring.start == dt.timedelta(hours=23)
    assert autumn.end - autumn.start == dt.timedelta(hours=25)


def test_buffer_blocks_the_next_start_and_busy_time_blocks_slots():
    london = ZoneInfo("Europe/London")
    day = dt.date(2026, 6, 1)
    busy = (Interval(dt.datetime(2026, 6, 1, 10, tzinfo=UTC), dt.datetime(2026, 6, 1, 11, 15, tzinfo=UTC)),)
    policy = Policy(
        duration=dt.timedelta(minutes=45),
        buffer=dt.timedelta(minutes=15),
        step=dt.timedelta(minutes=15),
        min_notice=dt.timedelta(0),
    )
    slots = slots_on(day, london, busy=busy, policy=policy, now=dt.datetime(2026, 5, 1, tzinfo=UTC))
    starts = {s.start.astimezone(london).strftime("%H:%M") for s in slots}
    # 10:00 BST is 09:00 UTC; busy 11:00–12:15 BST. A 45-minute slot plus 15 minutes' buffer must end by 11:00.
    assert "10:00" in starts and "10:15" not in starts
    assert "12:00" not in starts and "12:15" in starts


def test_closures_and_notice_and_horizon():
    london = ZoneInfo("Europe/London")
    now = dt.datetime(2026, 6, 1, 8, tzinfo=UTC)
    policy = Policy(
        duration=dt.timedelta(minutes=60),
        step=dt.timedelta(minutes=60),
        min_notice=dt.timedelta(hours=12),
        horizon=dt.timedelta(days=2),
    )
    calendar = PractitionerCalendar(key="a", hours=week())
    closed = local_day_span(dt.date(2026, 6, 2), london)
    slots = available_slots(
        calendars=[calendar],
        policy=policy,
        closures=[closed],
        tz=london,
        now=now,
        first_day=dt.date(2026, 6, 1),
        last_day=dt.date(2026, 6, 10),
    )
    days = {s.start.astimezone(london).date() for s in slots}
    assert days == {dt.date(2026, 6, 3)}
    assert max(s.start for s in slots) <= now + policy.horizon


def test_daily_limit_closes_a_full_day():
    london = ZoneInfo("Europe/London")
    calendar = PractitionerCalendar(key="a", hours=week(), booked_per_day={dt.date(2026, 6, 1): 2})
    common = {
        "calendars": [calendar],
        "closures": [],
        "tz": london,
        "now": dt.datetime(2026, 5, 1, tzinfo=UTC),
        "first_day": dt.date(2026, 6, 1),
        "last_day": dt.date(2026, 6, 2),
    }
    limited = available_slots(
        policy=Policy(duration=dt.timedelta(hours=1), min_notice=dt.timedelta(0), daily_limit=2), **common
    )
    assert {s.start.date() for s in limited} == {dt.date(2026, 6, 2)}


def test_nearest_returns_closest_distinct_times():
    london = ZoneInfo("Europe/London")
    slots = slots_on(dt.date(2026, 6, 1), london, now=dt.datetime(2026, 5, 1, tzinfo=UTC))
    target = slots[3].start + dt.timedelta(minutes=10)
    picked = nearest(slots, to=target, count=3)
    assert [s.start for s in picked] == [slots[2].start, slots[3].start, slots[4].start]


def test_a_period_that_starts_and_ends_inside_the_spring_forward_gap():
    """New York skips 02:00-03:00 on 8 March 2026: hours 02:45-03:15 open at 03:00 (the jump),
    and hours 01:30-02:30 end when the clock jumps, with no slot running past it."""
    tz = ZoneInfo("America/New_York")
    now = dt.datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
    policy = Policy(duration=dt.timedelta(minutes=15), step=dt.timedelta(minutes=5), min_notice=dt.timedelta(0))
    common = {"policy": policy, "closures": [], "tz": tz, "now": now}
    day = dt.date(2026, 3, 8)
    late = PractitionerCalendar("a", (WeeklyHours(6, dt.time(2, 45), dt.time(3, 15)),))
    slots = available_slots(calendars=[late], first_day=day, last_day=day, **common)
    assert [s.start.astimezone(tz).time() for s in slots] == [dt.time(3, 0)]
    early = PractitionerCalendar("a", (WeeklyHours(6, dt.time(1, 30), dt.time(2, 30)),))
    slots = available_slots(calendars=[early], first_day=day, last_day=day, **common)
    jump = dt.datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert [s.start.astimezone(tz).time() for s in slots][0] == dt.time(1, 30)
    assert max(s.end for s in slots) == jump  # 01:45-02:00 EST, the last quarter before the jump
