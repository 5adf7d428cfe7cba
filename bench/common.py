"""Shared by the benchmark scripts: prepare the production stack, start servers, run wrk, read RSS.

Everything runs on loopback, on the prod ports (8204-8209), with bounded durations.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.render import wait_for_port  # noqa: E402

VAR = ROOT / "var" / "bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
BIN = ROOT / ".venv" / "bin"
# Overridable so a second bench can run beside `make bench` (e.g. BENCH_APP_PORT=8301).
APP_PORT = int(os.environ.get("BENCH_APP_PORT", os.environ.get("BENCH_PORT", "8204")))
NGINX_PORT = int(os.environ.get("BENCH_NGINX_PORT", "8205"))
BASELINE_PORT = int(os.environ.get("BENCH_BASELINE_PORT", "8206"))
PAGE_PORT_BEFORE = int(os.environ.get("BENCH_BEFORE_PORT", "8207"))
# Section 2 runs `make serve` three ways side by side: as shipped, without the fast path, with the access log.
NOFAST_PORT = int(os.environ.get("BENCH_NOFAST_PORT", "8208"))
ACCESS_LOG_PORT = int(os.environ.get("BENCH_ACCESS_LOG_PORT", "8209"))


def production_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="clinic.settings.production",
        SECRET_KEY="bench-only-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SITE_URL=f"http://127.0.0.1:{APP_PORT}",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        SECURE_COOKIES="0",
        SQLITE_PATH=str(VAR / "clinic.sqlite3"),
        MEDIA_ROOT=str(VAR / "media"),
        LOG_LEVEL="WARNING",
        PAGE_CACHE_SECONDS="3600",
    )
    env.update(extra)
    return env


def prepare_site(env: dict[str, str]) -> None:
    """The `make serve` steps: collectstatic, migrate, load the demo content."""
    VAR.mkdir(parents=True, exist_ok=True)
    steps = (
        ["collectstatic", "--noinput", "-v0"],
        ["migrate", "--noinput", "-v0"],
        ["load_demo_content"],
        ["purge_page_cache"],
    )
    for command in steps:
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)


SERVERS = {
    "gunicorn-sync": lambda port, workers: [
        str(BIN / "gunicorn"), "clinic.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", "sync", "--log-level", "warning",
    ],
    "gunicorn-gthread": lambda port, workers: [
        str(BIN / "gunicorn"), "clinic.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", "4", "--worker-class", "gthread", "--log-level", "warning",
    ],
    "granian-wsgi": lambda port, workers: [
        str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--blocking-threads", "4", "--log-level", "warning", "--no-ws",
        "clinic.wsgi:application",
    ],
}  # fmt: skip


def available_servers() -> list[str]:
    return [name for name, build in SERVERS.items() if Path(build(0, 1)[0]).exists()]


@dataclass
class Server:
    process: subprocess.Popen
    port: int

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_server(
    name: str, *, env: dict, port: int = APP_PORT, workers: int = 2, cwd: Path = ROOT, argv=None
) -> Server:
    command = argv or SERVERS[name](port, workers)
    process = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)
    wait_for_port(port, timeout=30)
    return Server(process, port)


def start_make_serve(env: dict, *, port: int, name: str, timeout: float = 600, **overrides: str) -> Server:
    """scripts/serve.sh, which `make serve` runs (its collectstatic/migrate/demo/purge steps included),
    with 2 workers on `port`; its output (and access log, if on) goes to var/bench/serve-<name>.log."""
    serve_env = {**env, "PORT": str(port), "WORKERS": "2", **overrides}
    VAR.mkdir(parents=True, exist_ok=True)
    log = open(VAR / f"serve-{name}.log", "w")  # noqa: SIM115 - the server writes to it until stopped
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "serve.sh")], cwd=ROOT, env=serve_env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"serve.sh exited {process.returncode}: see var/bench/serve-{name}.log")
        try:
            wait_for_port(port, timeout=1)
            return Server(process, port)
        except TimeoutError:
            if time.monotonic() > deadline:
                Server(process, port).stop()
                raise


def fetch(url: str) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return response.status, dict(response.headers), response.read()


def warm(url: str, times: int = 20) -> None:
    for _ in range(times):
        fetch(url)


@dataclass
class WrkResult:
    requests_per_second: float
    latency_ms_avg: float
    requests: int
    errors: int
    non_2xx: int
    raw: str


def _to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(url: str, *, seconds=5, connections=16, threads=1, close=False, script=None, headers=None):
    binary = shutil.which("wrk")
    if binary is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    command = [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if close:
        command += ["-H", "Connection: close"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = _to_ms(re.search(r"Latency\s+(\S+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    # With Connection: close a "read error" is the server closing as asked; count connect/write/timeout.
    errors = 0
    if socket_errors:
        connect, read, write, timeout = map(int, socket_errors.groups())
        errors = connect + write + timeout + (0 if close else read)
    non_2xx_match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(rps, latency, total, errors, int(non_2xx_match.group(1)) if non_2xx_match else 0, out)


def rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (from /proc)."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError, AttributeError):
            continue
    return total


def sleep_until_quiet(seconds: float = 1.0) -> None:
    time.sleep(seconds)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def granted_session(base: str, env: dict) -> str:
    """A `Cookie:` value for a members session granted through the real gate (CSRF token included)."""
    import http.cookies
    import urllib.error
    import urllib.parse

    out = subprocess.run(
        [PYTHON, "manage.py", "members_password"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    secret = out.strip().splitlines()[-1].strip()
    try:
        urllib.request.urlopen(base + "/members/", timeout=10)  # noqa: S310 - loopback only
        raise RuntimeError("the members area answered without the gate")
    except urllib.error.HTTPError as gate:  # the gate answers 403 with the password form
        page = gate.read().decode()
        jar = http.cookies.SimpleCookie()
        for header in gate.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"secret": secret, "next": "/members/", "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base + "/members/-/enter/",
        data=body,
        headers={"Cookie": f"csrftoken={jar['csrftoken'].value}", "Referer": base + "/members/"},
    )
    try:
        urllib.request.build_opener(_NoRedirect).open(request, timeout=10)
        raise RuntimeError("the members gate did not redirect: not granted")
    except urllib.error.HTTPError as answer:
        if answer.code != 302:
            raise
        for header in answer.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    # Both cookies, as a browser sends them (without csrftoken every page would mint a new one).
    cookie = f"{settings_cookie_name(env)}={jar[settings_cookie_name(env)].value}; csrftoken={jar['csrftoken'].value}"
    status, _headers, _body = fetch_with_cookie(base + "/members/", cookie)
    assert status == 200, f"granted session refused: {status}"
    return cookie


def settings_cookie_name(env: dict) -> str:
    return env.get("SESSION_COOKIE_NAME", "sessionid")


def fetch_with_cookie(url: str, cookie: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 - loopback only
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        return response.status, dict(response.headers), response.read()


# The earliest free slot lies at most one slot step past the minimum notice, which moves on with the
# clock: booked a few seconds after it was offered it may already be too soon (a 400, seen once on
# 2026-11-25 at 05:00 UTC). Slots that close within the margin are left out.
FREE_SLOTS = """
import json, datetime as dt
from django.utils import timezone
from appointments.availability import booking_settings, find_slots
from appointments.models import Service
service = Service.objects.get(slug="initial-evaluation")
gap = dt.timedelta(minutes=service.buffer_minutes)
now = timezone.now()
earliest = now + dt.timedelta(hours=booking_settings().min_notice_hours, minutes=15)
chosen, free_from = [], {}
for slot in find_slots(service=service, now=now):
    if slot.start < earliest:
        continue
    if slot.start >= free_from.get(slot.practitioner, slot.start):
        chosen.append([slot.start.isoformat(), slot.practitioner])
        free_from[slot.practitioner] = slot.end + gap
print(json.dumps(chosen))
"""


def free_slots(env: dict) -> list[tuple[str, str]]:
    """Free starts of the demo's first service that can all be booked (no two overlap), none closing
    for booking within the next 15 minutes."""
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", FREE_SLOTS], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    return [tuple(item) for item in __import__("json").loads(out.strip().splitlines()[-1])]
