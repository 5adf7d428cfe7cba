from django.urls import path

from . import answers_views, manage_views, views, waitlist_views

app_name = "appointments"

urlpatterns = [
    path("", views.choose_service, name="start"),
    path("day/", views.choose_day, name="day"),
    path("time/", views.choose_time, name="time"),
    path("details/", answers_views.details, name="details"),
    path("check/<str:draft>/", answers_views.check, name="check"),
    path("manage/<str:token>/", manage_views.manage, name="manage"),
    path("manage/<str:token>/cancel/", manage_views.manage_cancel, name="manage_cancel"),
    path("manage/<str:token>/move/", manage_views.manage_move, name="manage_move"),
    path("manage/<str:token>/appointment.ics", manage_views.appointment_ics, name="manage_ics"),
    path("waitlist/", waitlist_views.join, name="waitlist"),
    path("waitlist/joined/", waitlist_views.joined, name="waitlist_joined"),
    path("waitlist/offer/<str:token>/", waitlist_views.offer, name="waitlist_offer"),
    path("waitlist/leave/<str:token>/", waitlist_views.leave, name="waitlist_leave"),
    path("feeds/<str:token>.ics", manage_views.practitioner_ics, name="practitioner_feed"),
]
