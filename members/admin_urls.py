from django.urls import path

from . import admin_views, care_views

app_name = "members_admin"

urlpatterns = [
    path("", admin_views.index, name="index"),
    path("rotate/", admin_views.rotate, name="rotate"),
    path("card/", admin_views.password_card, name="password_card"),
    path("passes/issue/", admin_views.issue_pass, name="issue_pass"),
    path("passes/<int:pass_id>/card/", admin_views.pass_card, name="pass_card"),
    path("passes/<int:pass_id>/revoke/", admin_views.revoke_pass, name="revoke_pass"),
    path("from-appointment/<int:appointment_id>/", care_views.give, name="give_care_pass"),
]
