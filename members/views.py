"""The members gate (enter, leave) and access-checked images and files for members pages."""

import mimetypes
from io import BytesIO

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils._os import safe_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.images import get_image_model
from wagtail.images.models import Filter

from throttling.limits import client_address

from . import access, alerts, devices, passes, stats, throttle
from .forms import GateForm
from .http import make_private
from .private_files import PRIVATE_PREFIX, is_private_name, normalise
from .protected_media import is_members_file

ALLOWED_IMAGE_SPECS = {"width-480", "width-960", "width-1440", "max-165x165"}
MAX_NEXT = 500  # characters of the address to return to after entry; a longer one goes to the members home
IMAGE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "avif": "image/avif"}


def members_home_url() -> str:
    from .models import MembersAreaPage

    page = MembersAreaPage.objects.live().first()
    return page.url if page and page.url else "/members/"


def safe_next(request, candidate: str) -> str:
    if (
        candidate
        and len(candidate) <= MAX_NEXT
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return members_home_url()


def gate_response(request, *, form=None, status=403, next_url="", throttled=None):
    """The friendly gate. Deliberately given no page object: no title or text of what it guards."""
    form = form or GateForm(initial={"next": next_url or request.get_full_path()})
    response = TemplateResponse(
        request,
        "members/gate.html",
        {
            "form": form,
            "throttled": throttled,
            "retry_minutes": -(-throttled.retry_after // 60) if throttled else 0,
        },
        status=status,
    )
    if throttled is not None:
        response["Retry-After"] = str(throttled.retry_after)
    return make_private(response)


def enter(request):
    if request.method != "POST":
        return make_private(HttpResponseRedirect(members_home_url()))
    next_url = safe_next(request, request.POST.get("next", ""))
    client, device = client_address(request), devices.known_device(request)
    # The throttle comes first: a refused attempt costs a counter read, never a hash.
    decision = throttle.check(client=client, device=device)
    strangers_paused = not decision.allowed and decision.scope == "site"
    if not decision.allowed and not strangers_paused:
        return _throttled(request, decision, next_url)
    form = GateForm(request.POST)
    if not form.is_valid():
        return gate_response(request, form=form, status=400, next_url=next_url)
    secret = form.cleaned_data["secret"]
    now = timezone.now()
    if strangers_paused:
        # Only a personal pass (a keyed digest, no argon2) still opens the gate to a new device.
        given = access.authenticate_pass(candidate=secret, now=now)
        if given is None:
            if passes.looks_like_code(secret):
                throttle.record_failure(client=client)  # pass guessing stays limited per address
            if passes.has_ended(candidate=secret, now=now):
                return _refused(request, form, next_url, ended=True)  # waiting would not help
            return _throttled(request, decision, next_url)
    else:
        given = access.authenticate(candidate=secret, now=now)
    if given is None:
        if throttle.record_failure(client=client, device=device):
            alerts.queue_site_wide_throttle_alert()
        return _refused(request, form, next_url, ended=passes.has_ended(candidate=secret, now=now))
    access.grant(request, given)
    stats.bump("entries")
    response = HttpResponseRedirect(next_url)
    devices.remember(request, response)
    return make_private(response)


def _refused(request, form, next_url, *, ended: bool):
    stats.bump("failures")
    if ended:
        # Only a code that checked out and whose own pass ran out gets this; anything else the generic words.
        form.add_error("secret", _("This pass has ended. Please ask at your next visit."))
    else:
        form.add_error("secret", _("That password or pass code did not work. Check it and try again."))
    return gate_response(request, form=form, status=403, next_url=next_url)


def _throttled(request, decision, next_url):
    if decision.first_refusal:
        stats.bump("throttled")
    return gate_response(request, status=429, next_url=next_url, throttled=decision)


@require_POST
def leave(request):
    access.leave(request)
    response = TemplateResponse(request, "members/left.html", {"members_url": members_home_url()})
    return make_private(response)


def image(request, image_id: int, spec: str):
    """A members image, resized in memory and never written to the public media folders."""
    if spec not in ALLOWED_IMAGE_SPECS:
        raise Http404
    if not access.may_see(request):
        return gate_response(request, next_url=members_home_url())
    item = get_object_or_404(get_image_model(), pk=image_id)
    if not is_members_file(item):
        raise Http404  # public images have public URLs; this view serves members files only
    output = BytesIO()
    if item.is_svg():
        with item.open_file() as handle:
            data, content_type = handle.read(), "image/svg+xml"
    else:
        result = Filter(spec=spec).run(item, output)
        data = output.getvalue()
        content_type = IMAGE_TYPES.get(result.format_name, "application/octet-stream")
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = "inline"
    return make_private(response)


# Sent with every members file: an uploaded SVG or HTML file cannot run script in the site's origin.
FILE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def private_file(request, name: str):
    """A stored members file (a rendition or original of a members image), to sessions that may see
    the members area: members, and staff with the members permission (the admin's previews)."""
    stored = normalise(PRIVATE_PREFIX + name)
    if not is_private_name(stored) or not stored.startswith(PRIVATE_PREFIX):
        raise Http404  # this address serves the private folder only, never a public file
    if not access.may_see(request):
        return gate_response(request, next_url=members_home_url())
    try:
        path = safe_join(settings.MEDIA_ROOT, stored)
        handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    except (OSError, ValueError, SuspiciousFileOperation) as error:  # missing, a folder, outside MEDIA_ROOT
        raise Http404 from error
    content_type, _encoding = mimetypes.guess_type(stored)
    response = FileResponse(handle, content_type=content_type or "application/octet-stream")
    if not (content_type or "").startswith("image/"):
        response["Content-Disposition"] = "attachment"
    response["Content-Security-Policy"] = FILE_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    return make_private(response)
