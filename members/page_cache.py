"""Members pages rendered once per revision and served from the page cache alias after the gate.

A members page is the same for every member, so it is rendered once per page, live revision,
language and site, and kept in the page cache alias, which is cleared whole on every publish,
unpublish, move, slug change or delete of a page, image or document change, clinic settings or
notice change and view-restriction change (pages/signals.py, members/signals.py).

- The access check comes first on every request: the stored copy is read only once
  `access.may_see()` has re-validated the session's grant (password generation or pass).
- Nothing of one session is stored: the leave form's CSRF token is a random marker in the
  stored copy, replaced by this request's token. Signed-in staff (the Wagtail user bar) and
  previews never read or write a copy. Responses are always `private, no-store`.

Two ways in. `serve_page` (MembersPageMixin.serve, after Wagtail's routing and the gate hook)
reads or fills the copy. `MembersPageCacheMiddleware` answers a path it has seen served that way
without routing: after the access check, from the copy. A path is remembered only for a page
Wagtail routed to directly, allowing GET and HEAD, with no view restrictions, while the only
page-serving hooks are the members gate, Wagtail's method check and its view-restriction check,
so skipping them changes nothing. The path's entry (shared alias) names the copy's random marker;
a process keeps the copies it has read by marker, so a purge (which removes the entry) retires
them at once on every process.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.http.request import split_domain_port
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.html import format_html
from wagtail import hooks
from wagtail.models import Site

from caching.entries import request_generation
from caching.tokens import page_generation
from pages.fragments import is_preview

from . import access
from .http import make_private

MARKER_ATTRIBUTE = "_members_csrf_marker"
# The hooks a remembered path skips: the members gate (re-checked by the middleware itself),
# Wagtail's method check (a path is remembered only for a page that allows GET and HEAD) and its
# view restrictions (only for a page that has none).
SKIPPABLE_HOOKS = {
    "before_serve_page": {
        ("members.wagtail_hooks", "guard_members_pages"),
        ("wagtail.wagtail_hooks", "check_request_method"),
    },
    "on_serve_page": {("wagtail.wagtail_hooks", "check_view_restrictions")},
}


# Copies this process has read, by their random marker. The path's entry in the shared alias
# names the marker of the current copy and is purged with it, so an old copy is never used.
_seen: dict = {}
SEEN_LIMIT = 256


@dataclass(frozen=True)
class StoredPage:
    html: str
    marker: str  # stands for the CSRF input in `html`; random for every rendering
    content_type: str


def _cache():
    return caches[settings.PAGE_CACHE_ALIAS]


def may_use_copy(request) -> bool:
    user = getattr(request, "user", None)
    return (
        request.method in ("GET", "HEAD")
        and not is_preview(request)
        and not (user is not None and user.is_authenticated)
    )


# Both keys hold the page cache generation the request read before anything else (purges write a
# new one), so a copy or path entry written by a request that began before a purge is never read
# after it, however late it is written.


def page_key(page, site, generation: str) -> str | None:
    if site is None or page.live_revision_id is None:
        return None
    return f"members-page:{generation}:{page.pk}:{page.live_revision_id}:{translation.get_language()}:{site.pk}"


def route_key(request, generation: str) -> str:
    # By host and port as sent (what Wagtail picks the site by), so no site lookup is needed;
    # every site change purges the alias.
    host = split_domain_port(request._get_raw_host())[0]
    digest = hashlib.sha256(request.path_info.encode()).hexdigest()[:32]
    return f"members-route:{generation}:{host}:{request.get_port()}:{translation.get_language()}:{digest}"


def csrf_input(request) -> str:
    # What {% csrf_token %} writes; get_token also makes the CSRF middleware set the cookie.
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))


def respond(request, stored: StoredPage) -> HttpResponse:
    html = stored.html.replace(stored.marker, csrf_input(request))
    return make_private(HttpResponse(html, content_type=stored.content_type))


def serve_page(page, request, render) -> HttpResponse:
    """Called by MembersPageMixin.serve once the gate has let the request through."""
    if not may_use_copy(request):
        return make_private(render())
    generation = request_generation()
    if generation is None:
        return make_private(render())  # the shared cache cannot say what is current: keep nothing
    site = Site.find_for_request(request)
    key = page_key(page, site, generation)
    if key is None:
        return make_private(render())
    cache = _cache()
    stored = cache.get(key)
    if stored is None:
        stored, response = _render(request, render)
        if stored is None:
            return make_private(response)
        cache.set(key, stored, settings.PAGE_CACHE_SECONDS)
    _remember_route(page, request, key, stored, generation)
    return respond(request, stored)


def _render(request, render) -> tuple[StoredPage | None, HttpResponse]:
    marker = f"<!--members-csrf-{secrets.token_hex(16)}-->"
    setattr(request, MARKER_ATTRIBUTE, marker)
    try:
        response = render()
        if hasattr(response, "render"):
            response.render()
    finally:
        delattr(request, MARKER_ATTRIBUTE)
    if response.status_code != 200 or response.streaming:
        if not response.streaming:
            response.content = response.content.replace(marker.encode(), csrf_input(request).encode())
        return None, response
    stored = StoredPage(
        html=response.content.decode(response.charset), marker=marker, content_type=response["Content-Type"]
    )
    return stored, response


def only_skippable_hooks() -> bool:
    for name, known in SKIPPABLE_HOOKS.items():
        if not {(fn.__module__, fn.__name__) for fn in hooks.get_hooks(name)} <= known:
            return False
    return True


def _remember_route(page, request, key: str, stored: StoredPage, generation: str) -> None:
    route = getattr(request, "_wagtail_route_for_request", None)
    if route is None or route.page is not page or route.args or route.kwargs or request.GET:
        return
    cache = _cache()
    path_key = route_key(request, generation)
    entry = (key, stored.marker)
    if cache.get(path_key) == entry or not only_skippable_hooks():
        return
    if not {"GET", "HEAD"} <= set(page.allowed_http_method_names()):
        return
    if page.get_view_restrictions().exists():
        return  # Wagtail's check must run on every request for this page
    cache.set(path_key, entry, settings.PAGE_CACHE_SECONDS)


def stored_response(request) -> HttpResponse | None:
    """The stored copy for a granted request to a remembered members path, else None."""
    if request.method not in ("GET", "HEAD") or request.META.get("QUERY_STRING") or is_preview(request):
        return None
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None  # no session, no grant
    if request.path_info.startswith(settings.ADMIN_PATH_PREFIXES):
        return None
    generation = page_generation.current()
    if generation is None:
        return None
    cache = _cache()
    entry = cache.get(route_key(request, generation))
    if entry is None:
        return None
    # The access check, on every request and before the copy is read; without access the
    # usual path answers (the gate).
    if not may_use_copy(request) or not access.may_see(request):
        return None
    key, marker = entry
    stored = _seen.get(marker)
    if stored is None:
        stored = cache.get(key)
        if stored is None or stored.marker != marker:
            return None
        if len(_seen) >= SEEN_LIMIT:
            _seen.clear()
        _seen[marker] = stored
    response = respond(request, stored)
    # What the WSGI fast path (caching/members_replay.py) may remember of this answer.
    response.members_fastpath = FastPathGrant(stored=stored, until=_grant_end(request))
    return response


@dataclass(frozen=True)
class FastPathGrant:
    stored: StoredPage
    until: float | None  # Unix time until which this session's grant holds; None: ask every time


def _grant_end(request) -> float | None:
    """The earliest of: the grant's end, the session's fixed end, and the bound on any remembered
    access answer (MEMBERS_ACCESS_CACHE_SECONDS, as for the access snapshots)."""
    grant_until = getattr(request, "_members_grant_until", None)
    closes = access.session_closes_at(request.session)
    if grant_until is None or closes is None:
        return None  # staff, or a session granted before grants had a fixed end
    return min(grant_until.timestamp(), closes.timestamp(), time.time() + settings.MEMBERS_ACCESS_CACHE_SECONDS)


class MembersPageCacheMiddleware:
    """Serve remembered members paths from the stored copy, after the access check (see above).

    Sits inside the session, CSRF, authentication, CSP and security-header middleware, so the
    response gets the same headers and cookies as one from the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return stored_response(request) or self.get_response(request)
