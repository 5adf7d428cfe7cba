"""deploy/nginx/clinic.conf for real: nginx on loopback in front of a live Django server, over plain
HTTP and, with a throwaway certificate, over TLS with the production settings' trusted-proxy setup."""

import datetime as dt
import http.client
import http.cookies
import ipaddress
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from django.utils import timezone

from clinic.testing import ensure_wagtail_tree
from deploy.render import (
    nginx_binary,
    render,
    site_values,
    start_nginx,
    stop_nginx,
    wait_for_port,
    write_standalone,
)
from members.tests.test_private_files import SPELLINGS

ROOT = Path(__file__).resolve().parents[1]

HASHED = "site.0123456789ab.css"
CSS = b"/* stylesheet served by nginx */ body { margin: 0; }\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def need_nginx() -> None:
    if nginx_binary() is None:
        message = "nginx is not installed (apt-get install -y nginx); the deploy test needs it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " and CI=true requires it")
        pytest.skip(message)


def start_front(tmp_path: Path, upstream: str, **tls) -> tuple[subprocess.Popen, dict]:
    """The shipped template rendered for loopback and run by nginx; `tls`: site_values' TLS arguments."""
    static_root = tmp_path / "staticfiles"
    (static_root / "css").mkdir(parents=True)
    (static_root / "css" / "site.css").write_bytes(CSS)
    (static_root / "css" / HASHED).write_bytes(CSS)
    port = free_port()
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
            acme_root=tmp_path / "acme",
            **tls,
        ),
    )
    main_conf = write_standalone(run_dir=run_dir, site_conf=site)
    process = start_nginx(main_conf, port=port)
    return process, {"port": port, "run_dir": run_dir, "media_root": tmp_path / "media", "site": site}


@pytest.fixture
def nginx_front(django_db_serialized_rollback, transactional_db, live_server, tmp_path, settings):
    need_nginx()
    ensure_wagtail_tree()
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ROOT_URLCONF = "tests.nginx_urls"
    process, front = start_front(tmp_path, live_server.url.removeprefix("http://"))
    yield front
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


def access_log_lines(nginx_front, fragment: str, *, count: int) -> list[str]:
    """The access log once `count` lines name `fragment` (nginx writes a line after the response)."""
    deadline = time.monotonic() + 10
    while True:
        lines = (nginx_front["run_dir"] / "access.log").read_text().splitlines()
        if sum(fragment in line for line in lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_the_access_log_leaves_out_the_token_of_a_patients_private_link(nginx_front):
    """/appointments/manage/<token>/ opens and cancels a booking: the token is logged as "-"."""
    token = "Pt0k3n-secret-value_123"
    for path in (f"/appointments/manage/{token}/", f"/appointments/manage/{token}/move/"):
        get(nginx_front["port"], path)
    lines = access_log_lines(nginx_front, "/appointments/manage/", count=2)
    logged = [json.loads(line)["request"].split(" ")[1] for line in lines if "/appointments/manage/" in line]
    assert "/appointments/manage/-/" in logged and "/appointments/manage/-/move/" in logged
    assert not any(token in line for line in lines)


def test_the_access_log_leaves_out_query_strings(nginx_front):
    """A staff search in the admin (?q=) carries a patient's name or email address: never logged."""
    get(nginx_front["port"], "/__echo__/?q=pat%40example.org&email=pat@example.org")
    lines = access_log_lines(nginx_front, "/__echo__/", count=1)
    logged = [json.loads(line)["request"] for line in lines if "/__echo__/" in line]
    assert logged and all(not entry.split(" ")[1].count("?") for entry in logged)
    assert not any("example.org" in line for line in lines)


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
    # The spellings that once reached the file where Django served /media/ (members/private_files.py).
    for spelling in SPELLINGS:
        url = spelling.format(name="members-private/token-handout.txt", rest="token-handout.txt")
        response, body = get(nginx_front["port"], url)
        assert response.status in (400, 404), url
        assert b"members only" not in body, url


# ---- TLS: the template rendered with a certificate, in front of the production security settings ----

# What production.py must say behind nginx with TLS; read from the real settings module with the
# shipped environment example (deploy/clinic.env.example), not restated here.
PRODUCTION_SECURITY = (
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "TRUSTED_PROXY_COUNT",
)


def production_security_settings() -> dict:
    env = dict(os.environ)
    for line in (ROOT / "deploy" / "clinic.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    for unused in ("DATABASE_URL", "REDIS_URL"):  # reading settings connects to neither
        env.pop(unused, None)
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings.production"
    code = (
        "import json, sys; from django.conf import settings; "
        "print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}))"
    )
    command = [sys.executable, "-c", code, *PRODUCTION_SECURITY]
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    values = json.loads(out.stdout.strip().splitlines()[-1])
    if values["SECURE_PROXY_SSL_HEADER"] is not None:
        values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


def throwaway_certificate(directory: Path) -> tuple[Path, Path, Path]:
    """A one-test CA and a server certificate it signed for 127.0.0.1: (ca, chain, key)."""
    now = dt.datetime.now(dt.UTC)

    def build(subject, issuer, public_key, signer, *, ca: bool, extra=()):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        for extension, critical in extra:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("clinic test CA", "clinic test CA", ca_key.public_key(), ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    names = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")])
    leaf = build(
        "127.0.0.1",
        "clinic test CA",
        key.public_key(),
        ca_key,
        ca=False,
        extra=[
            (names, False),
            (x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
        ],
    )
    ca_path, chain_path, key_path = directory / "ca.pem", directory / "chain.pem", directory / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, chain_path, key_path


@pytest.fixture
def nginx_tls_front(django_db_serialized_rollback, transactional_db, demo_content, tmp_path, settings):
    need_nginx()
    ensure_wagtail_tree()
    production = production_security_settings()
    # The settings nginx's TLS block relies on: X-Forwarded-Proto trusted, HTTPS-only cookies, HSTS.
    assert production["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert production["SECURE_HSTS_SECONDS"] > 0 and production["SECURE_SSL_REDIRECT"]
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    for name, value in production.items():
        setattr(settings, name, value)
    settings.ROOT_URLCONF = "tests.nginx_urls"
    settings.MEMBERS_ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    tls_port = free_port()
    settings.CSRF_TRUSTED_ORIGINS = [f"https://127.0.0.1:{tls_port}"]  # the port: loopback only

    from members import passwords

    passwords._hasher.cache_clear()
    # A server of its own, started after the settings above: Django's SecurityMiddleware reads
    # HSTS and the SSL redirect once, when the handler is built (the shared live_server is older).
    app = LiveServerThread("127.0.0.1", _StaticFilesHandler)
    app.daemon = True
    app.start()
    app.is_ready.wait()
    if app.error:
        raise app.error
    ca, chain, key = throwaway_certificate(tmp_path)
    process, front = start_front(
        tmp_path, f"127.0.0.1:{app.port}", tls_cert=chain, tls_key=key, tls_listen=f"127.0.0.1:{tls_port}"
    )
    try:
        wait_for_port(tls_port)
        yield {**front, "tls_port": tls_port, "ca": ca, "production": production}
    finally:
        stop_nginx(process)
        app.terminate()
        app.join(timeout=10)
        passwords._hasher.cache_clear()


def https(front, path: str, *, method="GET", body=None, headers=None, trust_test_ca=True):
    # Verified against the throwaway CA; without it, against the system CAs (which must refuse it).
    context = ssl.create_default_context(cafile=str(front["ca"])) if trust_test_ca else ssl.create_default_context()
    conn = http.client.HTTPSConnection("127.0.0.1", front["tls_port"], timeout=10, context=context)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def header_values(response, name: str) -> list[str]:
    return [value for key, value in response.getheaders() if key.lower() == name.lower()]


def test_tls_pages_come_over_verified_https_with_hsts_once(nginx_tls_front):
    front = nginx_tls_front
    with pytest.raises(ssl.SSLCertVerificationError):
        https(front, "/sciatica/", trust_test_ca=False)
    expected_hsts = f"max-age={front['production']['SECURE_HSTS_SECONDS']}; includeSubDomains"
    for attempt in range(3):  # the first from Django, later ones from nginx's microcache
        response, body = https(front, "/sciatica/")
        assert response.status == 200
        assert b"<h1" in body and b"ciatica" in body
        assert header_values(response, "Strict-Transport-Security") == [expected_hsts], attempt
        assert len(header_values(response, "Content-Security-Policy")) == 1
    assert response.getheader("X-Proxy-Cache") == "HIT"


def test_tls_proxy_says_https_whatever_the_client_claims(nginx_tls_front):
    response, body = https(nginx_tls_front, "/__echo__/", headers={"X-Forwarded-Proto": "http"})
    seen = json.loads(body)
    assert response.status == 200
    assert seen["forwarded_proto"] == "https"  # nginx's $scheme, not the forged value
    assert seen["is_secure"] is True  # SECURE_PROXY_SSL_HEADER from production.py trusts it


def test_plain_http_is_redirected_to_https_by_nginx_and_never_reaches_django(nginx_tls_front):
    front = nginx_tls_front
    response, body = get(front["port"], "/sciatica/?from=plain")
    assert response.status == 301
    location = response.getheader("Location")
    assert location == f"https://127.0.0.1:{front['tls_port']}/sciatica/?from=plain"
    assert b"nginx" in body  # nginx's own redirect page, not Django's
    assert header_values(response, "Strict-Transport-Security") == []  # HSTS only over HTTPS
    assert header_values(response, "X-Request-ID") == []  # Django sets it on every response it makes
    target = urllib.parse.urlsplit(location)
    followed, page = https(front, f"{target.path}?{target.query}")
    assert followed.status == 200 and b"ciatica" in page
    # certbot's HTTP-01 challenge is the one thing answered over plain HTTP.
    challenge = front["run_dir"].parent / "acme" / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True)
    (challenge / "token-1").write_text("token-1.thumbprint")
    response, body = get(front["port"], "/.well-known/acme-challenge/token-1")
    assert response.status == 200 and body == b"token-1.thumbprint"


def set_cookies(response) -> dict[str, str]:
    """Cookie name -> its whole Set-Cookie line."""
    cookies = {}
    for line in header_values(response, "Set-Cookie"):
        cookies[line.split("=", 1)[0].strip()] = line
    return cookies


def test_cookies_set_over_tls_are_secure_and_the_session_works_through_nginx(nginx_tls_front):
    from members import passwords

    front = nginx_tls_front
    secret = passwords.decrypt(passwords.current(now=timezone.now()).password_encrypted)
    gate, page = https(front, "/members/")
    assert gate.status == 403
    csrf_line = set_cookies(gate)["csrftoken"]
    assert "; Secure" in csrf_line and "SameSite=Lax" in csrf_line
    csrf_cookie = http.cookies.SimpleCookie(csrf_line)["csrftoken"].value
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    origin = f"https://127.0.0.1:{front['tls_port']}"
    entered, _ = https(
        front,
        "/members/-/enter/",
        method="POST",
        body=urllib.parse.urlencode({"secret": secret, "next": "/members/", "csrfmiddlewaretoken": token}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": origin + "/members/",
        },
    )
    assert entered.status == 302, entered.getheaders()
    assert entered.getheader("Location") == "/members/"
    session_line = set_cookies(entered)["sessionid"]
    assert "; Secure" in session_line and "; HttpOnly" in session_line and "SameSite=Lax" in session_line
    session = http.cookies.SimpleCookie(session_line)["sessionid"].value
    for _ in range(2):
        inside, body = https(front, "/members/", headers={"Cookie": f"sessionid={session}"})
        assert inside.status == 200 and b"<h1" in body
        assert inside.getheader("X-Proxy-Cache") == "BYPASS"  # a session never meets the microcache
        assert "no-store" in inside.getheader("Cache-Control")
        assert len(header_values(inside, "Strict-Transport-Security")) == 1


def test_the_access_log_leaves_out_the_token_of_a_waitlist_link(nginx_front):
    """/appointments/waitlist/offer|leave/<token>/ books an offered time or leaves the list: logged as "-"."""
    token = "Wt0k3n-secret-value_456"
    for path in (f"/appointments/waitlist/offer/{token}/", f"/appointments/waitlist/leave/{token}/"):
        get(nginx_front["port"], path)
    lines = access_log_lines(nginx_front, "/appointments/waitlist/", count=2)
    logged = [json.loads(line)["request"].split(" ")[1] for line in lines if "/appointments/waitlist/" in line]
    assert "/appointments/waitlist/offer/-/" in logged and "/appointments/waitlist/leave/-/" in logged
    assert not any(token in line for line in lines)
