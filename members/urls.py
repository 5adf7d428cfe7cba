from django.urls import path

from . import views

app_name = "members"

# Mounted at /members/-/ : "-" is never a page slug, so these never shadow a page.
urlpatterns = [
    path("enter/", views.enter, name="enter"),
    path("leave/", views.leave, name="leave"),
    path("images/<int:image_id>/<str:spec>/", views.image, name="image"),
    path("files/<path:name>", views.private_file, name="file"),
]
