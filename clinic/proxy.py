"""Living behind a reverse proxy (nginx, a load balancer, a CDN) safely.

- `TrustedProxyMiddleware` puts the real client address into REMOTE_ADDR, trusting exactly
  `TRUSTED_PROXY_COUNT` hops of X-Forwarded-For (each proxy appends the address it saw; anything
  to the left of the hops we trust was written by the client and is ignored). Everything that
  reads REMOTE_ADDR afterwards (axes lockout, throttles, logs) sees one consistent answer.
- `SharedCacheGuardMiddleware` is the last line of defence for privacy: a response that sets a
  cookie, that depends on a session, or that belongs to a private area is never marked
  cacheable by a shared cache, whatever the view said.
"""

import ipaddress

from django.conf import settings
from django.utils.cache import patch_cache_control


def client_address(*, remote_addr: str, forwarded_for: str | None, trusted_proxies: int) -> str:
    """The address of the client as seen by the outermost proxy we trust."""
    if trusted_proxies <= 0 or not forwarded_for:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) < trusted_proxies:
        # Fewer hops than proxies we run: the request did not come through them all.
        return remote_addr
    candidate = hops[-trusted_proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        meta["REMOTE_ADDR"] = client_address(
            remote_addr=meta.get("REMOTE_ADDR", ""),
            forwarded_for=meta.get("HTTP_X_FORWARDED_FOR"),
            trusted_proxies=settings.TRUSTED_PROXY_COUNT,
        )
        return self.get_response(request)


def must_stay_private(request, response) -> bool:
    if response.cookies:
        return True
    if request.path_info.startswith(settings.PRIVATE_PATH_PREFIXES):
        return True
    varies_on_cookie = "cookie" in response.get("Vary", "").lower()
    return varies_on_cookie and settings.SESSION_COOKIE_NAME in request.COOKIES


class SharedCacheGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if must_stay_private(request, response):
            cache_control = response.get("Cache-Control", "").lower()
            if "public" in cache_control or "s-maxage" in cache_control or not cache_control:
                # Replace rather than patch: `public` and `private` must never appear together.
                del response["Cache-Control"]
                patch_cache_control(response, private=True, no_store=True)
            response.headers.pop("X-Accel-Expires", None)
        elif "public" in response.get("Cache-Control", "").lower():
            # nginx's microcache (deploy/nginx) keeps public pages this long; nginx strips the header.
            response["X-Accel-Expires"] = str(settings.PROXY_CACHE_SECONDS)
        return response
