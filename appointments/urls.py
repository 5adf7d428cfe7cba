from django.urls import path

from . import views

app_name = "appointments"

urlpatterns = [
    path("", views.choose_service, name="start"),
    path("day/", views.choose_day, name="day"),
    path("time/", views.choose_time, name="time"),
    path("details/", views.details, name="details"),
    path("manage/<str:token>/", views.manage, name="manage"),
    path("manage/<str:token>/move/", views.manage_move, name="manage_move"),
    path("manage/<str:token>/appointment.ics", views.appointment_ics, name="manage_ics"),
    path("feeds/<str:token>.ics", views.practitioner_ics, name="practitioner_feed"),
]
