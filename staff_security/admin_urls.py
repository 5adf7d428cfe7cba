from django.urls import path

from . import admin_views

app_name = "staff_security_admin"
urlpatterns = [
    path("", admin_views.index, name="index"),
    path("<int:user_id>/reset-two-factor/", admin_views.reset_two_factor, name="reset_two_factor"),
    path("<int:user_id>/enrolment-code/", admin_views.issue_code, name="issue_code"),
    path("<int:user_id>/unlock/", admin_views.unlock, name="unlock"),
]
