"""The front desk's "Book for a patient" form: what staff type, checked before the booking service."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from . import series
from . import slots as engine
from .models import Practitioner, Service

OTHER = "other"
REPEAT_WEEKS = [
    (1, _("every week")),
    (2, _("every 2 weeks")),
    (3, _("every 3 weeks")),
    (4, _("every 4 weeks")),
]


def parse_start(value, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """ISO 8601 with an offset (as the API lists times) or the clinic's local time (as the form's
    own widget sends it), in UTC; None for anything else, a local time a clock change skips included."""
    if not isinstance(value, str) or not value or len(value) > 40:
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            return None
        if parsed.tzinfo is not None:
            return parsed.astimezone(dt.UTC)
        return engine.wall_to_utc(parsed.date(), parsed.time(), tz)
    except (ValueError, OverflowError):
        return None


def local_value(start: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    """How the form's own widget sends a time: the clinic's wall clock, to the minute."""
    return start.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


class BookForPatientForm(forms.Form):
    service = forms.ChoiceField(label=_("Service"))
    practitioner = forms.ChoiceField(label=_("Practitioner"))
    day = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start = forms.CharField(label=_("Time"), required=False, max_length=40)
    other_time = forms.TimeField(
        label=_("Another time (outside the free times)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
    )
    name = forms.CharField(label=_("Patient's name"), max_length=100)
    phone = forms.CharField(
        label=_("Phone"), max_length=30, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    email = forms.EmailField(
        label=_("Email address (optional)"),
        max_length=254,
        required=False,
        help_text=_("With an email the patient gets the confirmation and a calendar file; without, print the slip."),
    )
    note = forms.CharField(
        label=_("Internal note (optional)"),
        max_length=series.MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For staff only; the patient never sees it."),
    )
    repeat_count = forms.IntegerField(
        label=_("Number of sessions"), min_value=1, max_value=series.MAX_SESSIONS, initial=1
    )
    repeat_weeks = forms.TypedChoiceField(label=_("Repeat"), choices=REPEAT_WEEKS, coerce=int, initial=1)
    outside_hours_ok = forms.BooleanField(label=_("Book anyway, outside opening hours"), required=False)

    def __init__(self, *args, tz: zoneinfo.ZoneInfo, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.fields["service"].choices = [
            (s.slug, s.name) for s in Service.objects.filter(active=True).order_by("sort_order", "name")
        ]
        self.fields["practitioner"].choices = [
            (p.slug, p.name) for p in Practitioner.objects.filter(active=True).order_by("name")
        ]
        for name in ("name", "phone", "email"):
            self.fields[name].widget.attrs["autocomplete"] = "off"  # a different patient every time

    def clean(self):
        data = super().clean()
        raw = data.get("start") or ""
        start = None
        if raw == OTHER or (not raw and data.get("other_time")):
            if data.get("day") and data.get("other_time"):
                start = engine.wall_to_utc(data["day"], data["other_time"], self.tz)
            if start is None:
                self.add_error("other_time", _("Enter the day and a time of day that exists on it."))
        elif raw:
            start = parse_start(raw, self.tz)
            if start is None:
                self.add_error("start", _("Choose a time from the free times."))
        data["first_start"] = start
        if start is not None and not data.get("day"):
            data["day"] = start.astimezone(self.tz).date()
        return data

    def chosen_sessions(self, planned: list[dt.datetime]) -> tuple[list[dt.datetime], set[int]]:
        """The planned starts with the times staff picked for single sessions (`session_<n>`), and
        which session numbers staff chose themselves. A pick more than three days from its planned
        week (the first time was changed meanwhile) is dropped."""
        starts, chosen = list(planned), {1}
        for number in range(2, len(planned) + 1):
            picked = parse_start(self.data.get(f"session_{number}", ""), self.tz)
            if picked is not None and abs(picked - planned[number - 1]) <= dt.timedelta(days=3, hours=23):
                starts[number - 1] = picked
                chosen.add(number)
        return starts, chosen
