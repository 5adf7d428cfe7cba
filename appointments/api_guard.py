"""What a write to the JSON API must look like: JSON, sent from this site or from no browser at all.

A browser lets any website post a form (urlencoded, multipart or text/plain) to us without asking;
only a JSON body needs our permission (a CORS preflight we never grant). So the API refuses every
other body with 415, and a request that a browser marks as coming from another site with 403,
before anything is parsed, counted or booked.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

JSON_TYPES = {"application/json"}


def is_cross_site(request) -> bool:
    if request.META.get("HTTP_SEC_FETCH_SITE", "").lower() == "cross-site":
        return True
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return False  # not a browser's cross-origin request (curl, a server, a same-origin GET)
    own = f"{request.scheme}://{request.get_host()}"
    return origin != own and origin not in settings.CSRF_TRUSTED_ORIGINS


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _refusal(detail: str, status: int) -> JsonResponse:
    response = JsonResponse({"detail": detail, "errors": {}}, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def json_from_this_site(run):
    """Wraps a django-ninja operation (ninja.decorators.decorate_view): runs before parsing."""

    @functools.wraps(run)
    def guarded(request, *args, **kwargs):
        if is_cross_site(request):
            return _refusal(_("Requests from other websites are not accepted."), 403)
        if (request.content_type or "").lower() not in JSON_TYPES:
            return _refusal(_("Send the request body as JSON, with Content-Type: application/json."), 415)
        if _declared_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            # Django would refuse it too, but with its HTML 400 page instead of the documented JSON.
            return _refusal(_("The request body is too large."), 413)
        return run(request, *args, **kwargs)

    return guarded
