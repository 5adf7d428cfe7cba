"""Changes made outside the serving process reach it on its very next request (issue 15).

The server runs as its own process (`manage.py runserver`, through clinic/wsgi.py with both WSGI
replays, as `make run` serves), on a copy of the test database. Without Redis it shares the page
cache directory (PAGE_CACHE_DIR) with the commands, as `make run` does; with DATABASE_URL and
REDIS_URL (CI's second run) it shares Redis. Each change is made by another process, and the very
next request must see it: no waiting, no retry.
"""

import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest
import requests

from .test_drills import ROOT, drill, drill_db  # noqa: F401 - drill_db is a fixture


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(database, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=database.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def run_drill(database, *args: str) -> str:
    process = drill(database, *args)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-3000:]
    return out


@dataclass
class Served:
    base: str
    database: object  # tests.test_drills.DrillDatabase


@pytest.fixture
def served(drill_db, tmp_path):  # noqa: F811 - the fixture imported above
    if drill_db.vendor == "sqlite":
        drill_db.env["PAGE_CACHE_DIR"] = str(tmp_path / "page-cache")  # what `make run` shares
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=drill_db.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{base}/healthz", timeout=2)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the server did not start: {process.stderr.read()[-3000:]}")
            time.sleep(0.2)
    try:
        yield Served(base, drill_db)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


def enter(base: str, secret: str) -> tuple[requests.Session, requests.Response]:
    """A fresh visitor who types `secret` at the members gate."""
    session = requests.Session()
    gate = session.get(f"{base}/members/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', gate.text).group(1)
    answer = session.post(
        f"{base}/members/-/enter/",
        data={"csrfmiddlewaretoken": token, "secret": secret, "next": "/members/"},
        headers={"Referer": f"{base}/members/"},
        allow_redirects=False,
        timeout=10,
    )
    return session, answer


def is_granted(session: requests.Session, base: str) -> bool:
    answer = session.get(f"{base}/members/", timeout=10, allow_redirects=False)
    assert answer.status_code in (200, 403), answer.status_code
    return answer.status_code == 200


def warm(session, base):
    # Three requests: Django, then the stored copy, then the members replay in front of Django.
    assert all(is_granted(session, base) for _ in range(3))


def test_a_rotation_by_the_command_counts_at_once(served):
    server, database = served.base, served.database
    old_password = manage(database, "members_password").strip().splitlines()[-1]
    member, answer = enter(server, old_password)
    assert answer.status_code == 302, answer.text[-500:]
    warm(member, server)

    rotated = manage(database, "members_password", "--rotate", "--grace-days", "0")
    new_password = rotated.strip().splitlines()[-1]
    assert new_password != old_password

    assert not is_granted(member, server)  # the old session, at once
    newcomer, answer = enter(server, new_password)
    assert answer.status_code == 302, answer.text[-500:]  # the new password, at once
    assert is_granted(newcomer, server)
    _, answer = enter(server, old_password)
    assert answer.status_code == 403


def test_a_pass_revoked_from_another_process_closes_at_once(served):
    server, database = served.base, served.database
    _, pass_id, code = run_drill(database, "issue-pass").split()
    member, answer = enter(server, code)
    assert answer.status_code == 302, answer.text[-500:]
    warm(member, server)
    assert run_drill(database, "revoke-pass", pass_id).strip() == "revoked"
    assert not is_granted(member, server)


def test_a_publish_by_a_second_worker_shows_at_once(served):
    server, database = served.base, served.database
    anonymous = requests.Session()
    for _ in range(3):  # rendered, stored, then replayed from memory
        page = anonymous.get(f"{server}/sciatica/", timeout=10)
        assert page.status_code == 200
    assert "Published elsewhere" not in page.text
    run_drill(database, "publish", "Published elsewhere", "0")
    page = anonymous.get(f"{server}/sciatica/", timeout=10)
    assert "Published elsewhere" in page.text
