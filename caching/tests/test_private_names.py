"""Every private Django or Wagtail name the caching code leans on, pinned: an upgrade that
renames or changes one fails here, loudly, instead of serving the wrong thing.

Where a public API exists the code uses it; these are the places where none does (or where the
public one costs what the replay exists to save)."""

import inspect
import os
import secrets

import pytest
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from django.middleware.cache import FetchFromCacheMiddleware, UpdateCacheMiddleware
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, _unmask_cipher_token
from django.test import RequestFactory
from wagtail.models import Page, Site

from caching.csrf_mask import mask_secret
from caching.entries import own_copy
from caching.stamps import VersionReader


def test_redis_cache_exposes_its_client_for_the_purges_key_scan():
    # caching/purge.py deletes only the page alias's keys (clear() would FLUSHDB the sessions).
    cache = RedisCache("redis://127.0.0.1:6379/5", {})
    assert callable(cache._cache.get_client)
    assert "write" in inspect.signature(cache._cache.get_client).parameters


def test_file_cache_keys_map_to_files_replaced_by_rename(tmp_path):
    # caching/stamps.py: one stat() of `_key_to_file(key)` tells whether the value is new.
    cache = FileBasedCache(str(tmp_path), {})
    cache.set("token", "one", None)
    path = cache._key_to_file("token")
    first = os.stat(path).st_ino
    read = VersionReader(cache, "token")
    assert read() == "one"
    cache.set("token", "two", None)
    assert os.stat(path).st_ino != first or read() == "two"  # a new file, or the same one re-read
    assert read() == "two"


def test_django_unmasks_the_replays_csrf_tokens():
    secret = "".join(secrets.choice(CSRF_ALLOWED_CHARS) for _ in range(CSRF_SECRET_LENGTH))
    assert _unmask_cipher_token(mask_secret(secret)) == secret


def test_djangos_cache_middleware_reads_the_flag_and_prefix_the_page_cache_sets():
    # caching/middleware.py sets request._cache_update_cache and decides key_prefix per request.
    assert "_cache_update_cache" in inspect.getsource(UpdateCacheMiddleware._should_update_cache)
    assert "self.key_prefix" in inspect.getsource(UpdateCacheMiddleware.process_response)
    assert "self.key_prefix" in inspect.getsource(FetchFromCacheMiddleware.process_request)


def test_requests_raw_host_is_what_the_keys_are_built_from():
    request = RequestFactory().get("/", HTTP_HOST="example.org:8000")
    assert HttpRequest._get_raw_host(request) == "example.org:8000"


@pytest.mark.django_db
def test_model_state_keeps_a_fields_cache_that_own_copy_separates():
    page = Page(title="x", path="0001", depth=1)
    page._state.fields_cache["stub"] = object()
    clone = own_copy(page)
    assert clone._state is not page._state
    assert clone._state.fields_cache == page._state.fields_cache
    assert clone._state.fields_cache is not page._state.fields_cache


@pytest.mark.django_db
def test_wagtail_reads_the_site_the_page_cache_puts_on_the_request():
    # caching.middleware.find_site_cached puts the cached site where Site.find_for_request looks first.
    request = RequestFactory().get("/")
    marker = object()
    request._wagtail_site = marker
    assert Site.find_for_request(request) is marker


@pytest.mark.django_db
def test_wagtail_keeps_the_route_on_the_request(demo_content):
    # members/page_cache.py remembers a path only when Wagtail routed to the page directly.
    request = RequestFactory().get("/sciatica/")
    result = Page.route_for_request(request, "/sciatica/")
    assert result is not None
    assert request._wagtail_route_for_request is result
