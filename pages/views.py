from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.views.static import serve


def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /django-admin/",
        "Disallow: /members/",
        "Disallow: /appointments/manage/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def media_file(request, path: str, *, is_private):
    """Uploaded images, for `make serve` and development, where no web server sits in front.

    `is_private` is the members app's rule for stored files (wired in clinic/urls.py, since pages
    does not import members): a members file is never served from here, whatever the spelling.
    """
    if not (settings.DEBUG or settings.SERVE_MEDIA) or is_private(path):
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT)
