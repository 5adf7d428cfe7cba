"""Tokens: one random value per stored-answer family, replaced whenever that family goes stale.

Two uses of the one kind of token, both in the page cache alias every process shares:

- `page_generation` names where the public page cache's entries live; a purge writes a new one.
- `access_version` tags the members access snapshots and the members replay; every change to
  passwords, passes, the policy or a granted session writes a new one.

A reader compares the token it holds with the stored one; a different value means everything
it kept under the old one is stale. A token that cannot be read (Redis down) is None, and then
nothing is kept in process memory.
"""

import secrets

from django.conf import settings
from django.core.cache import caches
from django.db import transaction


def _cache():
    return caches[settings.PAGE_CACHE_ALIAS]


class Token:
    def __init__(self, key: str, *, timeout_setting: str | None):
        self.key = key
        # None: the token lives until replaced (a purge of the alias also removes it).
        self.timeout_setting = timeout_setting

    def _timeout(self):
        return None if self.timeout_setting is None else getattr(settings, self.timeout_setting)

    def current(self) -> str | None:
        """The stored token, made if missing (after a purge or expiry); None if unreadable."""
        cache = _cache()
        value = cache.get(self.key)
        if value is None:
            cache.add(self.key, secrets.token_hex(8), self._timeout())
            value = cache.get(self.key)
        return value

    def replace(self) -> None:
        _cache().set(self.key, secrets.token_hex(8), self._timeout())

    def replace_now_and_on_commit(self) -> None:
        """Now, so this process and any request after it sees the change; and again after
        commit, so an answer another request built from the database before the commit cannot
        outlive it."""
        self.replace()
        transaction.on_commit(self.replace)


page_generation = Token("generation", timeout_setting="PAGE_CACHE_SECONDS")
access_version = Token("members-access:version", timeout_setting=None)
