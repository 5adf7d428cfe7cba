"""Publishing purges a CDN/shared proxy through wagtail.contrib.frontend_cache (HTTP PURGE backend)."""

import http.server
import threading

import pytest
from wagtail.models import Page


class _PurgeRecorder(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, str, str]] = []

    def do_PURGE(self):  # noqa: N802 - the HTTP method's name
        self.received.append((self.command, self.path, self.headers.get("Host", "")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def purge_server():
    _PurgeRecorder.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PurgeRecorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_publishing_a_page_sends_a_purge_for_its_url(demo_content, settings, purge_server):
    settings.WAGTAILFRONTENDCACHE = {
        "http": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": f"http://127.0.0.1:{purge_server.server_port}",
        }
    }
    page = Page.objects.get(slug="sciatica").specific
    page.title = "Sciatica (updated)"
    page.save_revision().publish()
    paths = [path for method, path, _host in _PurgeRecorder.received if method == "PURGE"]
    assert "/sciatica/" in paths


def test_the_environment_configures_the_purge_backends(monkeypatch):
    import importlib

    import clinic.settings.content as base  # where WAGTAILFRONTENDCACHE is built

    monkeypatch.setenv("FRONTEND_CACHE_PURGE_URL", "http://varnish.internal:6081")
    monkeypatch.setenv("CLOUDFLARE_ZONE_ID", "zone")
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "token")
    try:
        reloaded = importlib.reload(base)
        assert reloaded.WAGTAILFRONTENDCACHE["http"]["LOCATION"] == "http://varnish.internal:6081"
        assert reloaded.WAGTAILFRONTENDCACHE["cloudflare"]["ZONEID"] == "zone"
    finally:
        monkeypatch.undo()
        importlib.reload(base)
