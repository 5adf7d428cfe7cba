"""The Appointments menu in the Wagtail admin: set-up snippets, the appointment list and staff views."""

from django.contrib import messages
from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet, SnippetViewSetGroup

from . import (
    admin_views,
    calendar_views,
    desk_views,
    staff_move,
    waitlist_admin,  # noqa: F401 - registers the waitlist's admin page and menu item
)
from .availability import clinic_zone
from .home_panels import ReceptionPanel
from .models import Appointment, Closure, Practitioner, Service, TimeOff
from .setup_forms import PractitionerForm, SlugFromNameForm
from .slots import local_day_span
from .spreadsheets import SafeCsvExportMixin


class NoDirectAddPolicy(ModelPermissionPolicy):
    """Appointments are created only through the booking service, which checks for overlaps."""

    def user_has_permission(self, user, action):
        if action == "add":
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, a) for a in actions)


register_permission_policy(Appointment, NoDirectAddPolicy(Appointment))


class AppointmentIndexView(SafeCsvExportMixin, IndexView):
    """Names and messages are typed by patients: the CSV export neutralises formulas."""


class AppointmentViewSet(SnippetViewSet):
    model = Appointment
    index_view_class = AppointmentIndexView
    icon = "date"
    menu_label = _("All appointments")
    list_display = ["reference", "start", "practitioner", "service", "status", "name"]
    list_filter = ["status", "practitioner", "service", "start"]
    list_export = [
        "reference",
        "start",
        "end",
        "practitioner",
        "service",
        "status",
        "name",
        "email",
        "phone",
        "created_at",
    ]
    export_filename = "appointments"
    search_fields = ["reference", "name", "email"]
    inspect_view_enabled = True
    ordering = ["-start"]
    # Times and status change through the calendar's actions (which check overlaps and email
    # the patient), never by editing fields here.
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("email"), FieldPanel("phone"), FieldPanel("message"), FieldPanel("note")]
    )


class PractitionerViewSet(SnippetViewSet):
    model = Practitioner
    icon = "user"
    list_display = ["name", "slug", "active"]
    # The services they give are chosen here too (the field lives on Service); the slug may be left empty.
    edit_handler = ObjectList(
        [*Practitioner.panels[:2], FieldPanel("services"), *Practitioner.panels[2:]], base_form_class=PractitionerForm
    )


class ServiceViewSet(SnippetViewSet):
    model = Service
    icon = "list-ul"
    list_display = ["name", "duration_minutes", "buffer_minutes", "confirmation", "active"]
    edit_handler = ObjectList(Service.panels, base_form_class=SlugFromNameForm)


class ClosureViewSet(SnippetViewSet):
    model = Closure
    icon = "cross"
    list_display = ["first_day", "last_day", "reason"]


class TimeOffViewSet(SnippetViewSet):
    model = TimeOff
    icon = "time"
    list_display = ["practitioner", "starts_at", "ends_at", "reason"]
    list_filter = ["practitioner"]


class AppointmentsGroup(SnippetViewSetGroup):
    menu_label = _("Appointments")
    menu_icon = "date"
    menu_order = 250
    items = (AppointmentViewSet, PractitionerViewSet, ServiceViewSet, ClosureViewSet, TimeOffViewSet)


register_snippet(AppointmentsGroup)

admin_urls = (
    [
        path("calendar/", calendar_views.calendar, name="calendar"),
        path("day-sheet/", calendar_views.day_sheet, name="day_sheet"),
        path("<int:pk>/", admin_views.detail, name="detail"),
        path("<int:pk>/action/", admin_views.action, name="action"),
        path("<int:pk>/move/", staff_move.move, name="move"),
        path("<int:pk>/undo-cancel/", staff_move.undo, name="undo_cancel"),
        path("patient-data/", admin_views.patient_data, name="patient_data"),
        path("patient-data/delete/", admin_views.patient_delete, name="patient_delete"),
        path("feeds/", admin_views.feeds, name="feeds"),
        path("book/", desk_views.book, name="book"),
        path("<int:pk>/slip/", desk_views.slip, name="slip"),
        path("<int:pk>/cancel-rest/", desk_views.cancel_rest, name="cancel_rest"),
    ],
    "appointments_admin",
)


@hooks.register("insert_global_admin_css")
def appointments_admin_css():
    # Every staff page of this app (calendar, appointment, move) shares the one small stylesheet.
    return format_html('<link rel="stylesheet" href="{}">', static("appointments/admin.css"))


@hooks.register("construct_homepage_panels")
def reception_panel(request, panels):
    if request.user.has_perm("appointments.view_appointment"):
        panels.append(ReceptionPanel())


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("appointments/", include(admin_urls))]


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


@hooks.register("register_admin_menu_item")
def calendar_menu_item():
    return PermissionMenuItem(
        _("Bookings calendar"),
        reverse("appointments_admin:calendar"),
        icon_name="calendar",
        order=249,
        permission="appointments.view_appointment",
    )


@hooks.register("register_settings_menu_item")
def patient_data_menu_item():
    return PermissionMenuItem(
        _("Patient data (bookings)"),
        reverse("appointments_admin:patient_data"),
        icon_name="user",
        order=900,
        permission="appointments.view_appointment",
    )


@hooks.register("register_settings_menu_item")
def feeds_menu_item():
    return PermissionMenuItem(
        _("Practitioner calendar feeds"),
        reverse("appointments_admin:feeds"),
        icon_name="link",
        order=901,
        permission="appointments.change_appointment",
    )


def bookings_inside(instance) -> int:
    """Active appointments that a closure or time off now covers: saving either never touches them."""
    active = Appointment.objects.filter(status__in=Appointment.ACTIVE)
    if isinstance(instance, Closure):
        tz = clinic_zone()
        start, end = local_day_span(instance.first_day, tz).start, local_day_span(instance.last_day, tz).end
    elif isinstance(instance, TimeOff):
        start, end = instance.starts_at, instance.ends_at
        active = active.filter(practitioner_id=instance.practitioner_id)
    else:
        return 0
    return active.filter(start__lt=end, end__gt=start).count()


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def warn_about_bookings_inside(request, instance):
    count = bookings_inside(instance)
    if count:
        messages.warning(
            request,
            ngettext(
                "%(n)s booking is still in this time. Open it in the Bookings calendar to move or cancel it "
                "(the patient is emailed).",
                "%(n)s bookings are still in this time. Open them in the Bookings calendar to move or cancel "
                "them (the patients are emailed).",
                count,
            )
            % {"n": count},
        )
