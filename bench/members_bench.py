"""Members area benchmark, side by side in one run.

    .venv/bin/python bench/members_bench.py [--requests N]

Measures, in-process through Django's full middleware stack (test client, no network):
  1. a members article served to a granted session (access re-checked on every request),
  2. a public page: from the page cache (anonymous) and rendered (session cookie, cache bypassed),
  3. a refused (throttled) gate attempt versus a checked one (argon2 with production parameters).
The throttled path must do no hashing: the number of argon2 verifications is counted.
Uses a throwaway SQLite database in a temporary folder; REDIS_URL, if set, is honoured.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, n: int) -> list[float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    n = args.requests

    tmp = tempfile.mkdtemp(prefix="members-bench-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(DJANGO_SETTINGS_MODULE="clinic.settings.test", SQLITE_PATH=f"{tmp}/bench.sqlite3")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    settings.MEDIA_ROOT = Path(tmp) / "media"
    settings.MEMBERS_THROTTLE = {**settings.MEMBERS_THROTTLE, "SITE_FAILURES": 10**9}
    call_command("migrate", verbosity=0)
    call_command("load_demo_content", stdout=open(os.devnull, "w"))  # noqa: SIM115
    for alias in ("default", "pages"):
        caches[alias].clear()

    from members import passwords

    hashes = {"count": 0}
    original_verify = passwords.verify_secret

    def counting_verify(hashed, candidate):
        hashes["count"] += 1
        return original_verify(hashed, candidate)

    passwords.verify_secret = counting_verify
    secret = passwords.decrypt(passwords.current(now=timezone.now()).password_encrypted)
    article = "/members/toldts-fascia/"

    member = Client()
    assert member.post("/members/-/enter/", {"secret": secret, "next": article}).status_code == 302
    assert member.get(article).status_code == 200
    anonymous = Client()
    assert anonymous.get("/sciatica/").status_code == 200  # fills the page cache
    assert anonymous.get("/sciatica/").get("X-Page-Cache") == "hit"
    with_session = Client()
    with_session.cookies["sessionid"] = "bench-no-such-session"

    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(10):
        attacker.post("/members/-/enter/", {"secret": "wrong-words-here-00"})
    assert attacker.post("/members/-/enter/", {"secret": "wrong-words-here-00"}).status_code == 429

    results = {}
    results["article, granted session"] = timed(lambda i: member.get(article), n)
    results["public page, page cache hit"] = timed(lambda i: anonymous.get("/sciatica/"), n)
    results["public page, rendered"] = timed(lambda i: with_session.get("/sciatica/"), n)
    before = hashes["count"]
    results["gate attempt, throttled (429)"] = timed(
        lambda i: attacker.post("/members/-/enter/", {"secret": "wrong-words-here-00"}), n
    )
    throttled_hashes = hashes["count"] - before
    before = hashes["count"]
    checked_n = max(n // 4, 20)
    results["gate attempt, checked (argon2)"] = timed(
        lambda i: Client(REMOTE_ADDR=f"10.{i // 250}.{i % 250}.1").post(
            "/members/-/enter/", {"secret": "wrong-words-here-00"}
        ),
        checked_n,
    )
    checked_hashes = hashes["count"] - before

    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"Members benchmark: {n} requests each (checked attempts: {checked_n}); cache: {backend}")
    print(f"{'what':34} {'median ms':>10} {'p95 ms':>9}")
    for name, samples in results.items():
        median, p95 = summary(samples)
        print(f"{name:34} {median:10.2f} {p95:9.2f}")
    med = {name: statistics.median(samples) for name, samples in results.items()}
    print()
    article_ms = med["article, granted session"]
    print(f"article (granted) / public rendered : {article_ms / med['public page, rendered']:.2f}x")
    print(f"article (granted) / public cache hit: {article_ms / med['public page, page cache hit']:.2f}x")
    ratio = med["gate attempt, checked (argon2)"] / med["gate attempt, throttled (429)"]
    print(f"checked attempt / throttled attempt : {ratio:.1f}x")
    print(f"argon2 verifications: throttled path {throttled_hashes} in {n} attempts; ", end="")
    print(f"checked path {checked_hashes} in {checked_n} attempts")
    figures = {f"{name} ms": round(statistics.median(samples), 3) for name, samples in results.items()}
    figures.update(throttled_hashes=throttled_hashes, checked_hashes=checked_hashes, cache=backend)
    print("BENCH_JSON " + json.dumps(figures))  # read by bench/run.py
    if throttled_hashes:
        sys.exit("FAIL: the throttled path hashed")


if __name__ == "__main__":
    main()
