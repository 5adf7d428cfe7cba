"""Wagtail hooks: the gate in front of members pages and documents, the staff screen, permissions
and the audit-log actions."""

from django.contrib.auth.models import Permission
from django.http import HttpResponse
from django.urls import include, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import access
from .http import make_private
from .models import is_members_page
from .protected_media import is_members_file

STAFF_PERMISSIONS = ("view_members_password", "rotate_members_password", "manage_passes")


@hooks.register("before_serve_page")
def guard_members_pages(page, request, serve_args, serve_kwargs):
    if is_members_page(page) and not access.may_see(request):
        from .views import gate_response

        return gate_response(request, next_url=request.path)
    return None


@hooks.register("before_serve_document")
def guard_members_documents(document, request):
    if not is_members_file(document):
        return None
    if not access.may_see(request):
        from .views import gate_response, members_home_url

        return gate_response(request, next_url=members_home_url())
    # Wagtail only honours an HttpResponse from this hook (not a streaming one), so the
    # file is read whole: members documents are handouts, not large media.
    with document.open_file() as handle:
        response = HttpResponse(handle.read(), content_type=document.content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=document.filename)
    return make_private(response)


@hooks.register("construct_admin_api", order=100)  # after Wagtail's own, whose endpoints these replace
def hide_members_files_from_the_admin_api(router):
    from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
    from wagtail.images.api.admin.views import ImagesAdminAPIViewSet

    from .admin_permissions import hidden_from_staff_without_access

    router.register_endpoint("images", hidden_from_staff_without_access(ImagesAdminAPIViewSet))
    router.register_endpoint("documents", hidden_from_staff_without_access(DocumentsAdminAPIViewSet))


class MembersAccessMenuItem(MenuItem):
    def is_shown(self, request):
        user = request.user
        return any(user.has_perm(f"members.{codename}") for codename in STAFF_PERMISSIONS)


@hooks.register("register_admin_menu_item")
def register_members_menu_item():
    return MembersAccessMenuItem(_("Members access"), reverse("members_admin:index"), icon_name="lock", order=250)


@hooks.register("register_admin_urls")
def register_members_admin_urls():
    return [path("members-access/", include("members.admin_urls", namespace="members_admin"))]


@hooks.register("appointment_detail_panels")
def members_access_on_appointment_page(request, appointment):
    from .care_views import panel

    return panel(request, appointment)


@hooks.register("erase_patient_data")
def erase_members_link(*, email, phone=""):
    from django.utils import timezone

    from .care import erase_patient

    erase_patient(email=email, phone=phone, now=timezone.now())


@hooks.register("register_permissions")
def register_members_permissions():
    return Permission.objects.filter(content_type__app_label="members", codename__in=STAFF_PERMISSIONS)


@hooks.register("register_log_actions")
def register_members_log_actions(actions):
    actions.register_action("members.rotate_password", _("Rotate members password"), _("Members password rotated"))
    actions.register_action("members.issue_pass", _("Issue patient pass"), _("Patient pass issued"))
    actions.register_action("members.revoke_pass", _("Revoke patient pass"), _("Patient pass revoked"))
