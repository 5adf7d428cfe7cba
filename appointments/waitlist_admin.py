"""The waitlist in the Wagtail admin: who waits for a day, offer them a free time, take them off the day.

Registered from wagtail_hooks.py (one import), with its own URL and menu item.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import waitlist
from .availability import clinic_zone, find_slots
from .models import Practitioner
from .views import parse_day
from .waitlist_models import WaitlistDay, WaitlistEntry

can_view = permission_required("appointments.view_appointment", raise_exception=True)
can_change = permission_required("appointments.change_appointment", raise_exception=True)


def _free_times(entry: WaitlistEntry, day: dt.date):
    """(value, label) for each free start that fits this patient's service and practitioner choice."""
    tz = clinic_zone()
    slots = find_slots(service=entry.service, practitioner=entry.practitioner, first_day=day, last_day=day)
    names = dict(Practitioner.objects.values_list("slug", "name"))
    return [
        (f"{s.practitioner}|{s.start.isoformat()}", f"{s.start.astimezone(tz):%H:%M} – {names.get(s.practitioner, '')}")
        for s in slots
    ]


@never_cache
@can_view
def day_view(request):
    tz = clinic_zone()
    today = timezone.now().astimezone(tz).date()
    day = parse_day(request.GET.get("date", "")) or today
    if not dt.date(1900, 1, 8) <= day <= dt.date(9000, 1, 1):
        day = today
    if request.method == "POST":
        if not request.user.has_perm("appointments.change_appointment"):
            messages.error(request, _("You may look at the waitlist but not change it."))
        else:
            _act(request, day)
        return redirect(reverse("appointments_waitlist_admin") + "?" + urlencode({"date": day.isoformat()}))
    entries = (
        WaitlistEntry.objects.filter(days__day=day)
        .select_related("service", "practitioner")
        .prefetch_related("offers")
        .order_by("created_at", "pk")
    )
    rows = [(entry, _free_times(entry, day) if day > today else []) for entry in entries]
    return TemplateResponse(
        request,
        "appointments/admin/waitlist.html",
        {
            "page_title": _("Waitlist"),
            "header_title": _("Waitlist"),
            "day": day,
            "rows": rows,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "today": today,
            "can_change": request.user.has_perm("appointments.change_appointment"),
        },
    )


def _act(request, day: dt.date) -> None:
    entry = WaitlistEntry.objects.filter(pk=request.POST.get("entry", "") or 0, days__day=day).first()
    if entry is None:
        messages.error(request, _("That patient is no longer waiting for this day."))
        return
    if request.POST.get("action") == "remove":
        WaitlistDay.objects.filter(entry=entry, day=day).delete()
        WaitlistEntry.objects.filter(pk=entry.pk, days__isnull=True).delete()
        messages.success(request, _("%(name)s no longer waits for this day.") % {"name": entry.name})
        return
    slug, _sep, raw_start = request.POST.get("time", "").partition("|")
    start = parse_datetime(raw_start) if raw_start and len(raw_start) <= 40 else None
    free = {value for value, _label in _free_times(entry, day)}
    practitioner = Practitioner.objects.filter(slug=slug[:60]).first()
    if start is None or practitioner is None or request.POST.get("time") not in free:
        messages.error(request, _("Choose one of the free times listed."))
        return
    if waitlist.make_offer(entry=entry, practitioner=practitioner, start=start) is None:
        messages.error(
            request,
            _("Not sent: this time was offered to %(name)s already, or they have had today's offers.")
            % {"name": entry.name},
        )
        return
    messages.success(request, _("Offer emailed to %(name)s.") % {"name": entry.name})


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("appointments/waitlist/", day_view, name="appointments_waitlist_admin")]


class WaitlistMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("appointments.view_appointment")


@hooks.register("register_admin_menu_item")
def waitlist_menu_item():
    return WaitlistMenuItem(_lazy("Waitlist"), reverse("appointments_waitlist_admin"), icon_name="list-ul", order=251)
