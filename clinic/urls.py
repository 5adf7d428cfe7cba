from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from appointments.api import api as appointments_api
from clinic import health
from members.private_files import is_private_name
from pages import views as pages_views

public = cache_control(public=True, max_age=3600)

urlpatterns = [
    path("admin/2fa/", include("staff_security.urls")),
    path("healthz", health.healthz, name="healthz"),
    path(".well-known/security.txt", health.security_txt, name="security_txt"),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", public(sitemap), name="sitemap"),
    path("robots.txt", public(pages_views.robots_txt), name="robots_txt"),
    path("members/-/", include("members.urls")),
    path("appointments/", include("appointments.urls")),
    path("api/v1/", appointments_api.urls),
]

# Uploaded images; answered only with DEBUG or SERVE_MEDIA on (nginx serves them in production),
# and never a members file (members/private_files.py decides, on the path the file system would open).
urlpatterns += [
    re_path(
        rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
        public(pages_views.media_file),
        {"is_private": is_private_name},
        name="media_file",
    ),
]

# Wagtail's page tree serves everything else, so it comes last.
urlpatterns += [path("", include(wagtail_urls))]
