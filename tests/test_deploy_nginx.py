"""deploy/nginx/clinic.conf for real: nginx on loopback in front of a live Django server."""

import http.client
import json
import os
import socket

import pytest

from clinic.testing import ensure_wagtail_tree
from deploy.render import nginx_binary, render, site_values, start_nginx, stop_nginx, write_standalone

HASHED = "site.0123456789ab.css"
CSS = b"/* stylesheet served by nginx */ body { margin: 0; }\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def nginx_front(django_db_serialized_rollback, transactional_db, live_server, tmp_path, settings):
    if nginx_binary() is None:
        message = "nginx is not installed (apt-get install -y nginx); the deploy test needs it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " and CI=true requires it")
        pytest.skip(message)
    ensure_wagtail_tree()
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ROOT_URLCONF = "tests.nginx_urls"
    static_root = tmp_path / "staticfiles"
    (static_root / "css").mkdir(parents=True)
    (static_root / "css" / "site.css").write_bytes(CSS)
    (static_root / "css" / HASHED).write_bytes(CSS)
    port = free_port()
    upstream = live_server.url.removeprefix("http://")
    run_dir = tmp_path / "nginx"
    site = render(
        "clinic.conf.template",
        site_values(
            upstream=upstream,
            listen=f"127.0.0.1:{port}",
            static_root=static_root,
            media_root=tmp_path / "media",
            access_log=str(run_dir / "access.log"),
            cache_dir=run_dir / "cache",
        ),
    )
    main_conf = write_standalone(run_dir=run_dir, site_conf=site)
    process = start_nginx(main_conf, port=port)
    yield {"port": port, "run_dir": run_dir, "media_root": tmp_path / "media"}
    stop_nginx(process)


def get(port: int, path: str, *, headers: dict | None = None, source: str = "127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_static_files_come_from_static_root_with_long_cache_for_hashed_names(nginx_front):
    response, body = get(nginx_front["port"], f"/static/css/{HASHED}")
    assert response.status == 200 and body == CSS
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    response, body = get(nginx_front["port"], "/static/css/site.css")
    assert response.status == 200 and body == CSS
    assert response.getheader("Cache-Control") == "public, max-age=3600"
    # A traversal out of STATIC_ROOT never returns a file from outside it.
    response, body = get(nginx_front["port"], "/static/../clinic/settings/base.py")
    assert response.status != 200 and b"SECRET" not in body


def test_the_client_address_reaches_django_through_x_forwarded_for_and_forgeries_do_not(nginx_front):
    response, body = get(
        nginx_front["port"],
        "/__echo__/",
        source="127.0.0.3",
        headers={"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https", "X-Request-ID": "forged-by-client-1"},
    )
    seen = json.loads(body)
    assert response.status == 200
    assert seen["forwarded_for"] == "6.6.6.6, 127.0.0.3"
    assert seen["remote_addr"] == "127.0.0.3"  # not 6.6.6.6, not nginx's own 127.0.0.1
    assert seen["forwarded_proto"] == "http"  # nginx overwrote the forged https
    assert seen["is_secure"] is False
    assert len(seen["request_id"]) == 32 and seen["request_id"] != "forged-by-client-1"
    assert response.getheader("X-Request-ID") == seen["request_id"]
    log_lines = (nginx_front["run_dir"] / "access.log").read_text().splitlines()
    assert any(json.loads(line)["request_id"] == seen["request_id"] for line in log_lines)


def test_pages_and_their_security_headers_pass_through_unchanged(nginx_front, demo_content):
    response, body = get(nginx_front["port"], "/sciatica/")
    assert response.status == 200
    assert b"<h1" in body and b"ciatica" in body
    headers = response.getheaders()
    for name in (
        "Content-Security-Policy",
        "X-Frame-Options",
        "Permissions-Policy",
        "Referrer-Policy",
        "X-Content-Type-Options",
        "Cross-Origin-Opener-Policy",
    ):
        values = [value for key, value in headers if key.lower() == name.lower()]
        assert len(values) == 1, (name, values)
    assert "public" in response.getheader("Cache-Control")
    assert response.getheader("Server") == "nginx"  # server_tokens off: no version


def test_private_areas_never_leave_nginx_as_public(nginx_front, demo_content):
    response, _ = get(nginx_front["port"], "/admin/login/")
    assert "public" not in (response.getheader("Cache-Control") or "")


def test_nginx_microcaches_public_pages_but_never_sessions_or_private_areas(nginx_front, demo_content):
    port = nginx_front["port"]
    statuses = [get(port, "/sciatica/")[0].getheader("X-Proxy-Cache") for _ in range(3)]
    assert statuses[0] in ("MISS", "EXPIRED") and "HIT" in statuses[1:]
    first, _ = get(port, "/sciatica/")
    assert first.getheader("X-Accel-Expires") is None  # nginx keeps it to itself

    with_session, _ = get(port, "/sciatica/", headers={"Cookie": "sessionid=abc"})
    assert with_session.getheader("X-Proxy-Cache") == "BYPASS"

    for _ in range(2):
        login, _ = get(port, "/admin/login/")
    assert login.getheader("X-Proxy-Cache") != "HIT"


def test_public_media_is_served_but_members_private_files_never_are(nginx_front):
    media = nginx_front["media_root"]
    (media / "images").mkdir(parents=True, exist_ok=True)
    (media / "images" / "public.txt").write_bytes(b"public figure")
    (media / "members-private").mkdir(parents=True, exist_ok=True)
    (media / "members-private" / "token-handout.txt").write_bytes(b"members only")
    response, body = get(nginx_front["port"], "/media/images/public.txt")
    assert response.status == 200 and body == b"public figure"
    response, body = get(nginx_front["port"], "/media/members-private/token-handout.txt")
    assert response.status == 404 and b"members only" not in body
