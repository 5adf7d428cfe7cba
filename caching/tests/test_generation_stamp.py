"""The public replay with the shared file cache (the embedded default): a purge by any process,
seen as a new page-generation file, drops every replayed page on the next request."""

import pytest
from django.core.cache import caches

from caching.public_replay import FastPath
from caching.tokens import page_generation
from clinic.tests.test_fastpath import storable_app
from clinic.tests.wsgi_client import Clock, call


@pytest.fixture
def file_pages(settings, tmp_path):
    settings.CACHES = {
        **settings.CACHES,
        "pages": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "page-cache"),
        },
    }
    page_generation.current()
    return caches["pages"]


def test_a_new_generation_written_by_another_process_stops_the_replay_at_once(file_pages):
    inner = storable_app()
    fast = FastPath(inner, seconds=60, clock=Clock())
    # The first request under a generation only notes it (a fill that began before is dropped).
    call(fast)
    call(fast)
    assert call(fast).header("X-Page-Cache") == "hit" and inner.calls == 2
    # Another process purges: the file cache gets a new generation file (its own write, not ours).
    file_pages.set(page_generation.key, "another-process", None)
    assert call(fast).header("X-Page-Cache") == "miss"
    call(fast)
    assert call(fast).header("X-Page-Cache") == "hit"  # replayed again under the new generation
    assert inner.calls == 4


def test_no_readable_generation_means_no_replay(file_pages):
    inner = storable_app()
    fast = FastPath(inner, seconds=60, clock=Clock())
    call(fast)
    call(fast)
    file_pages.clear()  # a purge in progress: the token is gone until the next request makes it
    call(fast)
    call(fast)
    assert inner.calls == 4


def test_with_memory_caches_the_replay_keeps_its_time_bound(settings):
    # Redis (or the test suite's memory cache): no stamp to read, FASTPATH_SECONDS bounds the lag.
    inner = storable_app()
    fast = FastPath(inner, seconds=60, clock=Clock())
    call(fast)
    caches["pages"].set(page_generation.key, "another-process", None)
    assert call(fast).header("X-Page-Cache") == "hit"
