"""Stored pages belong to the page cache generation their request started under: a page rendered
before a purge is never served after it, and without a readable generation nothing is stored or
served."""

import contextvars
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import caches

from caching.tokens import page_generation
from pages.models import ConditionPage

PATH = "/sciatica/"


def serve_then(action):
    """Patch ConditionPage.serve to render the page as it is, then run `action` before the
    response travels back out through the page cache middleware (which stores it)."""
    real_serve = ConditionPage.serve

    def serve(self, request, *args, **kwargs):
        response = real_serve(self, request, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()  # the old content, exactly as it would be stored
        action()
        return response

    return mock.patch.object(ConditionPage, "serve", autospec=True, side_effect=serve)


def publish_in_another_request(title: str):
    def publish():
        page = ConditionPage.objects.get(slug="sciatica")
        page.title = title
        revision = page.save_revision()
        # Another request (a second thread or worker) publishes: its own context, so the purge
        # cannot reach into the running request's state, only into the shared cache.
        contextvars.copy_context().run(revision.publish)

    return publish


@pytest.mark.django_db
def test_a_page_rendered_before_a_publish_is_never_served_after_it(client, demo_content):
    with serve_then(publish_in_another_request("Sciatica, revised")):
        racing = client.get(PATH)
    assert racing.status_code == 200
    assert b"Sciatica, revised" not in racing.content  # it did render the old page
    after = client.get(PATH)
    assert b"Sciatica, revised" in after.content
    assert after["X-Page-Cache"] == "miss"
    assert client.get(PATH)["X-Page-Cache"] == "hit"  # and the new page is cached again


@pytest.mark.django_db
def test_a_purge_by_another_worker_between_render_and_store_keeps_the_old_page_out(client, demo_content):
    """What another process's purge does to the shared alias: clear it, write a new token."""

    def purge_elsewhere():
        ConditionPage.objects.filter(slug="sciatica").update(title="Renamed elsewhere")  # no signal
        caches[settings.PAGE_CACHE_ALIAS].clear()
        caches[settings.PAGE_CACHE_ALIAS].set(page_generation.key, "another-worker")

    with serve_then(purge_elsewhere):
        assert b"Renamed elsewhere" not in client.get(PATH).content
    after = client.get(PATH)
    assert after["X-Page-Cache"] == "miss"
    assert b"Renamed elsewhere" in after.content


@pytest.mark.django_db
def test_without_a_readable_generation_nothing_is_stored_or_served(client, demo_content):
    client.get(PATH)
    assert client.get(PATH)["X-Page-Cache"] == "hit"  # a stored copy exists
    serve = mock.patch.object(ConditionPage, "serve", autospec=True, side_effect=ConditionPage.serve)
    with mock.patch.object(page_generation, "current", return_value=None), serve as served:
        responses = [client.get(PATH) for _ in range(2)]
    assert served.call_count == 2  # rendered each time, never served from the page cache
    for response in responses:
        assert response.status_code == 200
        assert "X-Page-Cache" not in response  # so the WSGI fast path does not keep it either
        assert "public" in response["Cache-Control"]  # a CDN may still keep the anonymous page
    # Nothing was stored while the generation was unknown: the alias holds the old token's entries.
    caches[settings.PAGE_CACHE_ALIAS].set(page_generation.key, "a-new-generation")
    assert client.get(PATH)["X-Page-Cache"] == "miss"


@pytest.mark.django_db
def test_a_hit_reads_the_shared_cache_twice(client, demo_content):
    """The generation token and the page; the per-URL header list comes from process memory."""
    client.get(PATH)
    client.get(PATH)  # the first hit also reads the header list from the shared cache
    cache = caches[settings.PAGE_CACHE_ALIAS]
    with (
        mock.patch.object(cache, "get", wraps=cache.get) as get,
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
    ):
        assert client.get(PATH)["X-Page-Cache"] == "hit"
    assert get.call_count == 2, get.call_args_list
    assert get_many.call_count == 0
