"""The site's URLs plus one echo view, so a test can see what Django received through nginx."""

from django.http import JsonResponse
from django.urls import path

from clinic.urls import urlpatterns as site_urlpatterns


def echo(request):
    return JsonResponse(
        {
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "forwarded_for": request.META.get("HTTP_X_FORWARDED_FOR"),
            "forwarded_proto": request.META.get("HTTP_X_FORWARDED_PROTO"),
            "request_id": getattr(request, "request_id", None),
            "host": request.get_host(),
            "is_secure": request.is_secure(),
        }
    )


urlpatterns = [path("__echo__/", echo), *site_urlpatterns]
