"""The invalidation registry: apps declare what makes their stored answers stale, here.

Each app's `receivers.py` calls `stale_on(...)` from its AppConfig.ready(). The registry connects
one receiver per (signal, sender), whatever number of apps declared it, so a save that two apps
care about (a view restriction, say) runs each action once, not once per declaration.

Actions are the two token uses: `PURGE_PAGES` (a new page generation, the alias cleared) and
`NEW_ACCESS_VERSION` (members access snapshots and replays retired). Both run at once and again
when the surrounding transaction commits (see caching.purge and caching.tokens).
"""

from collections.abc import Callable

from .purge import purge_page_cache
from .tokens import access_version

PURGE_PAGES = "purge pages"
NEW_ACCESS_VERSION = "new access version"
_ACTIONS: dict[str, Callable[[], None]] = {
    PURGE_PAGES: purge_page_cache,
    NEW_ACCESS_VERSION: access_version.replace_now_and_on_commit,
}

# (signal, sender) -> [(action, when)]; `when(sender, **kwargs)` narrows a declaration (None: always).
_declared: dict[tuple, list[tuple[str, Callable | None]]] = {}
_receivers: dict[tuple, Callable] = {}


def stale_on(signal, *, sender=None, action: str = PURGE_PAGES, when: Callable | None = None) -> None:
    """Run `action` whenever `signal` is sent (by `sender`, if given, and if `when` agrees).

    Declaring the same thing twice (a second import, a test that reloads) changes nothing."""
    if action not in _ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    key = (signal, sender)
    declarations = _declared.setdefault(key, [])
    if (action, when) in declarations:
        return
    declarations.append((action, when))
    if key not in _receivers:
        _receivers[key] = _receiver_for(declarations)
        uid = f"caching-{id(signal)}-{_label(sender)}"
        signal.connect(_receivers[key], sender=sender, weak=False, dispatch_uid=uid)


def _label(sender) -> str:
    if sender is None:
        return "any"
    meta = getattr(sender, "_meta", None)
    return meta.label if meta is not None else f"{sender.__module__}.{sender.__qualname__}"


def _receiver_for(declarations):
    def receive(sender, **kwargs):
        due = []
        for action, when in declarations:
            if action not in due and (when is None or when(sender, **kwargs)):
                due.append(action)
        for action in due:
            _ACTIONS[action]()

    return receive


def declared() -> dict[tuple, list[str]]:
    """What is declared, by (signal, sender): for docs and tests."""
    return {key: [action for action, _ in found] for key, found in _declared.items()}
