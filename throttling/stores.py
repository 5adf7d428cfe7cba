"""Where throttle counters live: Redis, the database, or (only when those fail) this process.

Every store keeps a window per counter name: the first hit opens it for `seconds`, later hits
count inside it, and a hit after its end opens a new one. Each operation is one atomic step in
the shared store (a Lua script in Redis, one upsert statement in the database), so any number of
worker processes and hosts count against one limit.

Windows are judged against the `now` the caller passes, not the store's clock, so every store
behaves the same and tests can travel in time; Redis also expires a key on its own a minute
after its window would end in real time, the database is purged daily (`purge_expired`).
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection, transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    hits: int
    expires_at: float  # 0 when there is no open window


NO_WINDOW = Window(0, 0.0)


class MemoryStore:
    """One process's counters: the fallback when the shared store fails (never fail open)."""

    MAX_ENTRIES = 100_000

    def __init__(self):
        self._lock = threading.Lock()
        self._data: dict[str, list] = {}

    def hit(self, name: str, *, seconds: float, now: float) -> Window:
        with self._lock:
            entry = self._data.get(name)
            if entry is None or entry[1] <= now:
                self._make_room(now)
                entry = self._data[name] = [0, now + seconds]
            entry[0] += 1
            return Window(entry[0], entry[1])

    def get(self, name: str, *, now: float) -> Window:
        with self._lock:
            entry = self._data.get(name)
            return Window(entry[0], entry[1]) if entry and entry[1] > now else NO_WINDOW

    def refund(self, name: str, *, now: float) -> None:
        with self._lock:
            entry = self._data.get(name)
            if entry and entry[1] > now and entry[0] > 0:
                entry[0] -= 1

    def purge(self, *, now: float) -> int:
        with self._lock:
            return self._drop_expired(now)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def _make_room(self, now: float) -> None:
        if len(self._data) < self.MAX_ENTRIES:
            return
        if not self._drop_expired(now):
            del self._data[next(iter(self._data))]  # the oldest window

    def _drop_expired(self, now: float) -> int:
        expired = [name for name, (_hits, ends) in self._data.items() if ends <= now]
        for name in expired:
            del self._data[name]
        return len(expired)


class DatabaseStore:
    """Counters in the `throttling_counter` table, one upsert per hit (SQLite 3.35+, PostgreSQL)."""

    def _table(self) -> str:
        from .models import Counter

        return connection.ops.quote_name(Counter._meta.db_table)

    def hit(self, name: str, *, seconds: float, now: float) -> Window:
        table = self._table()
        # A window that has ended starts again at 1; the CASEs read the row as it was before.
        sql = (
            f"INSERT INTO {table} (name, hits, expires_at) VALUES (%s, 1, %s) "  # noqa: S608 - table name from the model
            f"ON CONFLICT (name) DO UPDATE SET "
            f"hits = CASE WHEN {table}.expires_at <= %s THEN 1 ELSE {table}.hits + 1 END, "
            f"expires_at = CASE WHEN {table}.expires_at <= %s THEN excluded.expires_at ELSE {table}.expires_at END "
            f"RETURNING hits, expires_at"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [name, now + seconds, now, now])
            hits, expires_at = cursor.fetchone()
        return Window(int(hits), float(expires_at))

    def get(self, name: str, *, now: float) -> Window:
        from .models import Counter

        row = Counter.objects.filter(name=name, expires_at__gt=now).values_list("hits", "expires_at").first()
        return Window(int(row[0]), float(row[1])) if row else NO_WINDOW

    def refund(self, name: str, *, now: float) -> None:
        from django.db.models import F

        from .models import Counter

        with transaction.atomic():
            Counter.objects.filter(name=name, expires_at__gt=now, hits__gt=0).update(hits=F("hits") - 1)

    def purge(self, *, now: float) -> int:
        from .models import Counter

        deleted, _ = Counter.objects.filter(expires_at__lte=now).delete()
        return deleted


HIT_SCRIPT = """
local ends = redis.call('HGET', KEYS[1], 'e')
if (not ends) or tonumber(ends) <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'h', 1, 'e', ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return {1, ARGV[2]}
end
return {redis.call('HINCRBY', KEYS[1], 'h', 1), ends}
"""
REFUND_SCRIPT = """
local ends = redis.call('HGET', KEYS[1], 'e')
if ends and tonumber(ends) > tonumber(ARGV[1]) and tonumber(redis.call('HGET', KEYS[1], 'h')) > 0 then
  return redis.call('HINCRBY', KEYS[1], 'h', -1)
end
return 0
"""


class RedisStore:
    """Counters in the Redis of a Django RedisCache alias (a hash per window: hits and end)."""

    def __init__(self, alias: str):
        self.cache = caches[alias]

    def _client_and_key(self, name: str):
        key = self.cache.make_and_validate_key(name)
        # Django's RedisCache keeps its redis-py client on `_cache`; the scripts need it directly.
        return self.cache._cache.get_client(key, write=True), key

    def hit(self, name: str, *, seconds: float, now: float) -> Window:
        client, key = self._client_and_key(name)
        ends = repr(now + seconds)
        hits, stored_end = client.eval(HIT_SCRIPT, 1, key, repr(now), ends, math.ceil(seconds) + 60)
        return Window(int(hits), float(stored_end))

    def get(self, name: str, *, now: float) -> Window:
        client, key = self._client_and_key(name)
        hits, ends = client.hmget(key, "h", "e")
        if hits is None or ends is None or float(ends) <= now:
            return NO_WINDOW
        return Window(int(hits), float(ends))

    def refund(self, name: str, *, now: float) -> None:
        client, key = self._client_and_key(name)
        client.eval(REFUND_SCRIPT, 1, key, repr(now))

    def purge(self, *, now: float) -> int:
        return 0  # Redis expires each key itself


fallback = MemoryStore()


def shared_store():
    """The store every process shares, from settings.THROTTLING."""
    config = getattr(settings, "THROTTLING", {}) or {}
    if config.get("STORE") == "redis":
        return RedisStore(config.get("CACHE_ALIAS", "throttle"))
    return DatabaseStore()


class FailSafeStore:
    """The shared store, or this process's memory for any call the shared store cannot answer."""

    def __init__(self, store=None):
        self.store = store or shared_store()

    def _call(self, method: str, name: str, **kwargs):
        try:
            return getattr(self.store, method)(name, **kwargs)
        except (DatabaseError, OSError) as error:  # OSError: connection refused, timeouts
            self._warn(method, error)
        except Exception as error:  # redis-py's own errors (Redis down, read-only replica, ...)
            if not type(error).__module__.startswith("redis"):
                raise
            self._warn(method, error)
        return getattr(fallback, method)(name, **kwargs)

    @staticmethod
    def _warn(method: str, error: Exception) -> None:
        logger.warning("throttle store unavailable (%s: %s): counting in this process", method, type(error).__name__)

    def hit(self, name: str, *, seconds: float, now: float) -> Window:
        return self._call("hit", name, seconds=seconds, now=now)

    def get(self, name: str, *, now: float) -> Window:
        return self._call("get", name, now=now)

    def refund(self, name: str, *, now: float) -> None:
        self._call("refund", name, now=now)
