"""The public page cache as Django middleware, and the rule it shares with the WSGI replay.

Stored pages are kept per page generation (caching.tokens), read once per request before the
page cache (`PageCacheGenerationMiddleware`); the two Django cache middlewares below build
every key from it.
"""

import time

from django.conf import settings
from django.http.request import split_domain_port
from django.middleware.cache import FetchFromCacheMiddleware, UpdateCacheMiddleware
from django.utils.cache import get_cache_key, get_max_age, patch_cache_control, patch_response_headers
from django.utils.http import parse_http_date_safe
from wagtail.models import Site

from .entries import (
    bind_generation,
    local_get,
    local_set,
    lookup_or_build,
    request_generation,
    unbind_generation,
)


def is_page_cacheable(request) -> bool:
    """Only anonymous GETs of public paths may be stored in or served from the page cache."""
    if is_admin_preview(request):
        return False
    return page_cache_allows(
        method=request.method, path_info=request.path_info, cookies=request.COOKIES, has_query=bool(request.GET)
    )


def page_cache_allows(*, method: str, path_info: str, cookies, has_query: bool) -> bool:
    """The one rule shared by the page cache and the WSGI fast path in front of it (caching/public_replay.py).

    A request that carries a session cookie may belong to a granted member or to
    staff (who see the Wagtail user bar), so it always goes to the view.
    """
    if method not in ("GET", "HEAD"):
        return False
    if path_info.startswith(settings.PAGE_CACHE_EXCLUDED_PREFIXES):
        return False
    if settings.SESSION_COOKIE_NAME in cookies:
        return False
    return not has_query


def is_admin_preview(request) -> bool:
    """Wagtail renders a preview by sending a dummy request for the page's own path
    (say /sciatica/) through the middleware, for an iframe inside the admin."""
    return getattr(request, "is_dummy", False)


def is_admin_request(request) -> bool:
    return request.path_info.startswith(settings.ADMIN_PATH_PREFIXES) or is_admin_preview(request)


# Set on a request whose page cache generation PageCacheGenerationMiddleware bound.
GENERATION_BOUND = "_page_cache_generation_bound"


class PageCacheGenerationMiddleware:
    """Read the page cache generation once, before the page cache, for the requests it may answer.

    A stored page is kept under the generation its request started with (`page_key_prefix`), and
    every purge writes a new one: a page rendered by a request that began before a purge is stored
    where no request that begins after it looks, so it cannot be served once the purge is done.
    Other requests get their generation from ClinicTimezoneMiddleware, as before (a members copy
    or an admin page pays no read here)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_page_cacheable(request):
            return self.get_response(request)
        token = bind_generation()
        setattr(request, GENERATION_BOUND, True)
        try:
            return self.get_response(request)
        finally:
            unbind_generation(token)


class _PerGenerationKeys:
    """Django's cache middleware builds every key from `self.key_prefix`: here it names the
    generation this request started under. Only read once `request_generation()` is known."""

    @property
    def key_prefix(self) -> str:
        return page_key_prefix(request_generation())

    @key_prefix.setter
    def key_prefix(self, value) -> None:
        pass  # Django's __init__ sets it from settings; the generation decides instead


def page_key_prefix(generation: str | None) -> str:
    return f"page.{generation}"


class _HeaderLists:
    """Django's per-URL header lists (which request headers a stored page varies on), also kept
    in process memory for the generation, so a hit reads only the token and the page."""

    def __init__(self, cache):
        self.cache = cache

    def get(self, key):
        headers = local_get(key)
        if headers is None:
            headers = self.cache.get(key)
            if headers is not None:
                local_set(key, headers)
        return headers


class PageCacheFetchMiddleware(_PerGenerationKeys, FetchFromCacheMiddleware):
    """Serve a stored public page before any session, database or template work."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.cache_alias = settings.PAGE_CACHE_ALIAS

    def process_request(self, request):
        if not is_page_cacheable(request):
            request._cache_update_cache = False
            return None
        request._cache_update_cache = True
        if request_generation() is None:
            # The token cannot be read (cache down) or was never bound: no stored page can be
            # told current, so none is served (and PageCacheUpdateMiddleware stores none).
            return None
        response = self.stored(request, "GET")
        if response is None and request.method == "HEAD":
            response = self.stored(request, "HEAD")
        if response is None:
            return None
        # Django's own Age estimate (FetchFromCacheMiddleware).
        if (max_age := get_max_age(response)) is not None and (
            expires := parse_http_date_safe(response["Expires"])
        ) is not None:
            response["Age"] = max(0, max_age - (expires - int(time.time())))
        request._cache_update_cache = False
        response["X-Page-Cache"] = "hit"
        return response

    def stored(self, request, method):
        key = get_cache_key(request, self.key_prefix, method, cache=_HeaderLists(self.cache))
        return None if key is None else self.cache.get(key)


class PageCacheUpdateMiddleware(_PerGenerationKeys, UpdateCacheMiddleware):
    """Store public pages and mark them `public` so a CDN or proxy may keep them too."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.cache_alias = settings.PAGE_CACHE_ALIAS
        self.cache_timeout = settings.PAGE_CACHE_SECONDS

    def process_response(self, request, response):
        if not getattr(request, "_cache_update_cache", False):
            if settings.SESSION_COOKIE_NAME in request.COOKIES:
                # The response may carry the user's name, the Wagtail user bar or a
                # member's page: no shared cache may keep it, whatever the view said.
                mark_private(response)
            elif not response.has_header("Cache-Control") and response.cookies:
                patch_cache_control(response, private=True, no_cache=True)
            return response
        cache_control = response.get("Cache-Control", "").lower()
        storable = (
            response.status_code == 200
            and not response.cookies
            and not any(word in cache_control for word in ("private", "no-store", "no-cache"))
        )
        if storable:
            # The request carried no session cookie and the response sets none, so
            # it is the anonymous page. `Vary: Cookie` (added because the Wagtail
            # user bar asks who the user is) would make shared caches keep one copy
            # per cookie header, or none at all; the page does not depend on cookies.
            drop_vary(response, "Cookie")
            patch_cache_control(response, public=True)
            if request_generation() is None:
                # Without a generation (cache unreadable, or this request purged) the page is not
                # stored, and not marked as stored, so the WSGI fast path does not keep it either.
                patch_response_headers(response, self.cache_timeout)
                return response
            response["X-Page-Cache"] = "miss"
        return super().process_response(request, response)


def mark_private(response) -> None:
    """Mark a response private (no shared cache keeps it); patch_cache_control drops any `public`
    a view set. Members responses get members.http.make_private (no-store, noindex) instead."""
    if response.has_header("Cache-Control"):
        patch_cache_control(response, private=True)
    else:
        patch_cache_control(response, private=True, no_cache=True)


def drop_vary(response, header: str) -> None:
    if not response.has_header("Vary"):
        return
    kept = [v.strip() for v in response["Vary"].split(",") if v.strip() and v.strip().lower() != header.lower()]
    if kept:
        response["Vary"] = ", ".join(kept)
    else:
        del response["Vary"]


def find_site_cached(request):
    """Wagtail's site for this host and port, remembered in the page cache alias (cleared
    whenever a site is saved or deleted) and put where `Site.find_for_request` looks first,
    so the time zone, the settings, the menu and the page router share one lookup."""
    if hasattr(request, "_wagtail_site") or request.path_info.startswith(settings.ADMIN_PATH_PREFIXES):
        return Site.find_for_request(request)

    def build():
        site = Site.find_for_request(request)
        if site is not None:
            # The router reads the root page and its specific page next; keep both with the site.
            site = Site.objects.select_related("root_page").get(pk=site.pk)
            site.root_page.specific  # noqa: B018 - kept with the site (a cached property)
        return site

    site = lookup_or_build(f"site:{split_domain_port(request._get_raw_host())[0]}:{request.get_port()}", build)
    request._wagtail_site = site
    return site
