"""Staff views in the Wagtail admin: one appointment's actions, patient data, feeds (the calendar: calendar_views)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from wagtail import hooks

from . import booking, staff_move
from .availability import clinic_zone
from .models import Appointment, Practitioner
from .patient_data import (
    Patient,
    bookings_for,
    contact_messages_for,
    delete_patient,
    export_json,
    find_patients,
    waitlist_for,
    write_csv,
)

can_view = permission_required("appointments.view_appointment", raise_exception=True)
can_change = permission_required("appointments.change_appointment", raise_exception=True)


@never_cache
@can_view
def detail(request, pk):
    appointment = get_object_or_404(Appointment.objects.select_related("service", "practitioner"), pk=pk)
    tz = clinic_zone()
    actions = [
        (name, label)
        for name, label in [
            ("confirm", _("Confirm")),
            ("decline", _("Decline")),
            ("cancel", _("Cancel")),
            ("attended", _("Mark attended")),
            ("no_show", _("Mark did not attend")),
        ]
        if appointment.status in booking.TRANSITIONS[name][0]
        and (name not in booking.AFTER_START or appointment.start <= timezone.now())
    ]
    return TemplateResponse(
        request,
        "appointments/admin/detail.html",
        {
            # page_title is the heading, header_title the browser tab: the heading is what staff read.
            "page_title": _("Appointment %(ref)s") % {"ref": appointment.reference},
            "header_title": str(appointment),
            "appointment": appointment,
            "start": appointment.start.astimezone(tz),
            "end": appointment.end.astimezone(tz),
            "actions": actions,
            "tz": tz,
            "panels": detail_panels(request, appointment),
            **staff_move.detail_context(request, appointment, tz),
        },
    )


# Other apps add a section to an appointment's page (members: "Give members access") by registering
# a function under this Wagtail hook: called with (request, appointment), it returns HTML or "".
DETAIL_PANELS_HOOK = "appointment_detail_panels"


def detail_panels(request, appointment) -> list:
    return [html for panel in hooks.get_hooks(DETAIL_PANELS_HOOK) if (html := panel(request, appointment))]


# Cannot be undone and email the patient: the detail page asks first.
CONFIRM_FIRST = {
    "cancel": (_lazy("Cancel this appointment?"), _lazy("Yes, cancel it")),
    "decline": (_lazy("Decline this request?"), _lazy("Yes, decline it")),
}


@never_cache
@require_http_methods(["GET", "POST"])
@can_change
def action(request, pk):
    appointment = get_object_or_404(Appointment.objects.select_related("service", "practitioner"), pk=pk)
    if request.method == "GET":
        name = request.GET.get("action", "")
        if name not in CONFIRM_FIRST or appointment.status not in booking.TRANSITIONS[name][0]:
            return redirect("appointments_admin:detail", pk=pk)
        question, button = CONFIRM_FIRST[name]
        tz = clinic_zone()
        return TemplateResponse(
            request,
            "appointments/admin/confirm_action.html",
            {
                "page_title": question,
                "header_title": question,
                "appointment": appointment,
                "start": appointment.start.astimezone(tz),
                "end": appointment.end.astimezone(tz),
                "tz": tz,
                "action": name,
                "button": button,
            },
        )
    name = request.POST.get("action", "")
    try:
        booking.change_status(appointment=appointment, action=name)
    except booking.InvalidBooking as error:
        messages.error(request, next(iter(error.errors.values())))
    else:
        messages.success(request, _("Appointment %(ref)s updated.") % {"ref": appointment.reference})
    return redirect("appointments_admin:detail", pk=pk)


def _clean_query(raw: str) -> str:
    return raw.strip()[:254].replace("\x00", "")


@never_cache
@require_http_methods(["GET", "POST"])
@can_view
def patient_data(request):
    # Who is posted, never put in the URL: URLs end up in access logs, browser history and Referer
    # headers, and a patient's email address or phone number is health data here.
    patient = Patient.from_post(request.POST) if request.method == "POST" else Patient()
    query = _clean_query(request.POST.get("q", "")) if request.method == "POST" else ""
    if query and "@" in query:
        patient = Patient(email=query)  # an address finds its bookings directly
    elif query:
        return _patient_data_page(request, Patient(), query=query, patients=find_patients(query))
    fmt = request.POST.get("format")
    if patient and fmt == "json":
        response = HttpResponse(export_json(patient), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="patient-data.json"'
        return response
    if patient and fmt == "csv":
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="patient-data.csv"'
        write_csv(response, patient)
        return response
    return _patient_data_page(request, patient)


def _patient_data_page(
    request, patient: Patient, *, error: str = "", status: int = 200, query: str = "", patients=None
):
    tz = clinic_zone()
    # For the page: times in the clinic's zone and statuses in words (the exports keep ISO values).
    bookings = list(bookings_for(patient).order_by("start")) if patient else []
    waiting = list(waitlist_for(patient)) if patient else []
    return TemplateResponse(
        request,
        "appointments/admin/patient_data.html",
        {
            "page_title": _("Patient data"),
            "header_title": _("Patient data"),
            "patient": patient if patient else None,
            "bookings": bookings,
            "waiting": waiting,
            "query": query,
            "patients": patients,
            "tz": tz,
            # Contact messages are deleted with the bookings, so a patient with messages only can be erased too.
            "message_count": len(contact_messages_for(patient)) if patient else 0,
            "can_delete": request.user.has_perm("appointments.delete_appointment"),
            "error": error,
        },
        status=status,
    )


@require_POST
def patient_delete(request):
    if not request.user.has_perm("appointments.delete_appointment"):
        raise PermissionDenied
    patient = Patient.from_post(request.POST)
    if not patient:
        return _patient_data_page(
            request, Patient(), error=_("Find the patient first, then delete from their page."), status=400
        )
    if request.POST.get("confirm") != "yes":
        # Back to the same patient's page with the box to tick, not a bare error page.
        return _patient_data_page(request, patient, error=_("Tick the box to confirm the deletion."), status=400)
    message_count = len(contact_messages_for(patient))
    count = delete_patient(patient)
    messages.success(
        request,
        _("Deleted %(n)s booking(s) and %(m)s contact message(s) of %(email)s.")
        % {"n": count, "m": message_count, "email": patient},
    )
    return redirect(reverse("appointments_admin:patient_data"))


@never_cache
@can_change
def feeds(request):
    practitioners = Practitioner.objects.all()
    new_link = None
    if request.method == "POST":
        raw_pk = request.POST.get("practitioner", "")
        if not raw_pk.isascii() or not raw_pk.isdigit() or len(raw_pk) > 18:
            raise Http404  # a missing or malformed id is a 404 like an unknown one (the fuzz found a 500)
        practitioner = get_object_or_404(Practitioner, pk=int(raw_pk))
        do = "revoke" if request.POST.get("do") == "revoke" else "new"
        if practitioner.feed_token_hash and request.POST.get("confirm") != "yes":
            # Both end the link the practitioner's phone calendar is subscribed to: ask first.
            return TemplateResponse(
                request,
                "appointments/admin/feeds_confirm.html",
                {
                    "page_title": _("Calendar feeds"),
                    "header_title": _("Calendar feeds"),
                    "practitioner": practitioner,
                    "do": do,
                },
            )
        if do == "revoke":
            practitioner.revoke_feed()
            messages.success(request, _("Calendar link revoked for %(name)s.") % {"name": practitioner})
        else:
            token = practitioner.new_feed_token()
            new_link = (
                practitioner,
                request.build_absolute_uri(reverse("appointments:practitioner_feed", args=[token])),
            )
    return TemplateResponse(
        request,
        "appointments/admin/feeds.html",
        {
            "page_title": _("Calendar feeds"),
            "header_title": _("Calendar feeds"),
            "practitioners": practitioners,
            "new_link": new_link,
        },
    )
