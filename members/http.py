"""Response headers every members-area response carries."""

from django.utils.cache import add_never_cache_headers, patch_cache_control


def make_private(response):
    """Never stored by a shared cache, the page cache or the browser; never indexed."""
    add_never_cache_headers(response)
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
