"""Settings → Staff sign-in, for administrators (superusers) and user administrators."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .accounts import may_manage_sign_in


class AdministratorsMenuItem(MenuItem):
    def is_shown(self, request):
        return may_manage_sign_in(request.user)


@hooks.register("register_admin_urls")
def register_staff_security_admin_urls():
    return [path("staff-sign-in/", include("staff_security.admin_urls", namespace="staff_security_admin"))]


@hooks.register("register_settings_menu_item")
def staff_sign_in_menu_item():
    return AdministratorsMenuItem(
        _("Staff sign-in (new colleague, lost phone, locked out)"),
        reverse("staff_security_admin:index"),
        icon_name="key",
        order=950,
    )


@hooks.register("register_log_actions")
def register_staff_security_log_actions(actions):
    actions.register_action(
        "staff_security.reset_two_factor", _("Reset two-factor authentication"), _("Two-factor authentication reset")
    )
    actions.register_action(
        "staff_security.issue_enrolment_code",
        _("Issue a two-factor enrolment code"),
        _("Two-factor enrolment code issued"),
    )
    actions.register_action("staff_security.unlock", _("Unlock staff sign-in"), _("Staff sign-in unlocked"))
