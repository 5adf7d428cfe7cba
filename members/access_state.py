"""What the members access check needs, kept in the shared page cache alias under a version.

The access check runs on every members request. Instead of reading the policy and the password
generations (or a pass) from the database each time, it reads a snapshot of them, stored with
the version it was built under. Every change to a password, pass or the policy writes a new
random version (at once, and again when its transaction commits), so the next request on any
process sees the change: a snapshot built before it no longer matches.

Time-based changes need no purge: the snapshot holds the moments themselves (when the current
password is due to rotate, until when each older one is accepted, until when a pass is valid)
and compares them with the request's time. A snapshot is only used for a time at or after the
one it was built at, and never once the current password is due (the slow path rotates it).

The alias is the one every worker shares (Redis, or files without Redis), never process memory.
It fails open during a Redis outage: a read misses and the database answers. A version write lost
in an outage could leave an old snapshot matching its old version after Redis returns, so
snapshots also expire after MEMBERS_ACCESS_CACHE_SECONDS (a bound, not the mechanism).
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches

from caching.tokens import access_version

from . import passwords
from .access_models import PatientPass, SharedPassword

VERSION_KEY = access_version.key
PASSWORDS_KEY = "members-access:passwords"
CARD_KEY = "members-access:card:{}"  # one patient pass


def _cache():
    return caches[settings.PAGE_CACHE_ALIAS]


def _timeout() -> int:
    return settings.MEMBERS_ACCESS_CACHE_SECONDS


def invalidate() -> None:
    """Call after changing a password generation, a pass or the policy (caching.tokens)."""
    access_version.replace_now_and_on_commit()


def _version(found: dict) -> str:
    """The current version; "" when the cache cannot say (an outage): then nothing is cached."""
    version = found.get(VERSION_KEY)
    if version is None:
        version = access_version.current() or ""
    return version


@dataclass(frozen=True)
class PasswordSnapshot:
    version: str
    built_at: datetime.datetime
    head: int  # the current generation
    due: datetime.datetime  # when the current generation must rotate
    grace: dict[int, datetime.datetime] = field(default_factory=dict)  # older generation -> accepted until

    def usable(self, *, version: str, now: datetime.datetime) -> bool:
        return bool(version) and self.version == version and self.built_at <= now < self.due

    def accepts(self, generation: int, *, now: datetime.datetime) -> bool:
        return self.until(generation, now=now) is not None

    def until(self, generation: int, *, now: datetime.datetime) -> datetime.datetime | None:
        """Until when `generation` opens the members area as far as this snapshot knows; None: not now."""
        if generation == self.head:
            return self.due
        until = self.grace.get(generation)
        return min(until, self.due) if until is not None and now < until else None


@dataclass(frozen=True)
class PassSnapshot:
    version: str
    built_at: datetime.datetime
    valid_until: datetime.datetime | None  # None: revoked or unknown

    def usable(self, *, version: str, now: datetime.datetime) -> bool:
        return bool(version) and self.version == version and self.built_at <= now

    def accepts(self, *, now: datetime.datetime) -> bool:
        return self.until(now=now) is not None

    def until(self, *, now: datetime.datetime) -> datetime.datetime | None:
        return self.valid_until if self.valid_until is not None and now < self.valid_until else None


# The last snapshot this process read, used only while the shared version still matches it (the
# version is read from the shared alias on every request, so a change is seen at once here too)
# and no longer than the shared copy may live.
_seen: dict[str, PasswordSnapshot] = {}


def generation_grants_access(*, generation: int, now: datetime.datetime) -> bool:
    return generation_access_until(generation=generation, now=now) is not None


def generation_access_until(*, generation: int, now: datetime.datetime) -> datetime.datetime | None:
    """Until when this password generation opens the members area (None: it does not now)."""
    version = _version({VERSION_KEY: _cache().get(VERSION_KEY)})
    snapshot = _seen.get(PASSWORDS_KEY)
    if snapshot is None or snapshot.version != version or now - snapshot.built_at >= _lifetime():
        snapshot = _cache().get(PASSWORDS_KEY)
    if snapshot is not None and snapshot.usable(version=version, now=now):
        _seen[PASSWORDS_KEY] = snapshot
        return snapshot.until(generation, now=now)
    # The version was read before the database: a change committed meanwhile has written a
    # newer version, so what is stored below under the older one is never used.
    snapshot = _password_snapshot(version=version, now=now)
    if version:
        _cache().set(PASSWORDS_KEY, snapshot, _timeout())
    return snapshot.until(generation, now=now)


def _lifetime() -> datetime.timedelta:
    return datetime.timedelta(seconds=_timeout())


def _password_snapshot(*, version: str, now: datetime.datetime) -> PasswordSnapshot:
    head, policy = passwords.current_and_policy(now=now)  # rotates first if due
    older = SharedPassword.objects.filter(replaced_at__isnull=False, grace_until__gt=now)
    return PasswordSnapshot(
        version=version,
        built_at=now,
        head=head.generation,
        due=passwords.valid_until(head, policy=policy),
        grace=dict(older.values_list("generation", "grace_until")),
    )


def pass_grants_access(*, pass_id: int, now: datetime.datetime) -> bool:
    return pass_access_until(pass_id=pass_id, now=now) is not None


def pass_access_until(*, pass_id: int, now: datetime.datetime) -> datetime.datetime | None:
    """Until when this patient pass opens the members area (None: it does not now)."""
    key = CARD_KEY.format(pass_id)
    found = _cache().get_many([VERSION_KEY, key])
    snapshot = found.get(key)
    version = _version(found)
    if snapshot is not None and snapshot.usable(version=version, now=now):
        return snapshot.until(now=now)
    row = PatientPass.objects.filter(pk=pass_id).values("revoked_at", "valid_until").first()
    valid_until = row["valid_until"] if row and row["revoked_at"] is None else None
    snapshot = PassSnapshot(version=version, built_at=now, valid_until=valid_until)
    if version:
        _cache().set(key, snapshot, _timeout())
    return snapshot.until(now=now)
