from django.urls import path

from . import views

app_name = "staff_security"
urlpatterns = [
    path("enrol/", views.enrol, name="enrol"),
    path("enrol/qr.svg", views.enrol_qr, name="enrol_qr"),
    path("verify/", views.verify, name="verify"),
]
