"""The members area."""

import os

# ---- members ----
# Documents go through Django so the before_serve_document hook can guard members files.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# The shared password: three short words and two digits, e.g. "maple-otter-kettle-42".
MEMBERS_PASSWORD_FORMAT = {"WORDS": 3, "DIGITS": 2}
# argon2-cffi parameters (its defaults: time_cost=3, memory_cost=65536 KiB, parallelism=4).
MEMBERS_ARGON2_PARAMETERS = {}
# Brute-force limits for the members gate (see members/throttle.py, throttling/ and the README).
MEMBERS_THROTTLE = {
    "CLIENT_FAILURES": int(os.environ.get("MEMBERS_CLIENT_FAILURES", "10")),
    "CLIENT_WINDOW_SECONDS": 15 * 60,
    "SITE_FAILURES": int(os.environ.get("MEMBERS_SITE_FAILURES", "200")),
    "SITE_WINDOW_SECONDS": 10 * 60,
    # A device that has entered before (signed cookie) may still try while the site-wide limit
    # refuses strangers, for this long after its last entry.
    "DEVICE_COOKIE_DAYS": 180,
}
MEMBERS_COLLECTION_NAME = "Members only"
# The access check's snapshot of passwords and passes (members/access_state.py) is replaced by a
# new version on every change; this only bounds one left over after a Redis outage lost a version.
MEMBERS_ACCESS_CACHE_SECONDS = 60
