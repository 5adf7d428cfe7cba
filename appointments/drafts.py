"""The patient's answers between "Your details" and "Check your answers", kept in their session.

Each draft carries a one-time token. The appointment it books gets a private link derived from that
token, so a second submission of the same answers (double tap, Back and resubmit, reload, another tab)
finds the booking already made instead of making another: the link's hash is unique in the database,
which holds across every worker and host.
"""

from __future__ import annotations

import secrets
import time

from django.utils.crypto import salted_hmac

from .models import Appointment, hash_token

SESSION_KEY = "booking_drafts"
# A patient rarely has more than one booking on the go; older drafts make room for new ones.
MAX_DRAFTS = 5
# Answers are health data: a draft nobody books is forgotten after a day even if the session lives on.
MAX_AGE_SECONDS = 24 * 3600
DETAIL_KEYS = ("name", "email", "phone", "message")
CHOICE_KEYS = ("service", "practitioner", "start")


def _drafts(session) -> dict:
    drafts = session.get(SESSION_KEY)
    if not isinstance(drafts, dict):
        return {}
    now = time.time()
    return {k: v for k, v in drafts.items() if isinstance(v, dict) and now - v.get("created", 0) < MAX_AGE_SECONDS}


def _store(session, drafts: dict) -> None:
    newest = sorted(drafts.items(), key=lambda item: item[1].get("created", 0))[-MAX_DRAFTS:]
    session[SESSION_KEY] = dict(newest)
    session.modified = True


def valid_id(value) -> bool:
    return isinstance(value, str) and 8 <= len(value) <= 20 and value.replace("-", "").replace("_", "").isalnum()


def get(session, draft_id) -> dict | None:
    if not valid_id(draft_id):
        return None
    return _drafts(session).get(draft_id)


def save(session, *, draft_id: str | None, choice: dict, details: dict) -> str:
    """Store the answers under draft_id (a new draft when None or unknown); returns the id."""
    drafts = _drafts(session)
    draft = drafts.get(draft_id) if draft_id else None
    if draft is None or draft.get("done"):
        draft_id = secrets.token_urlsafe(9)
        draft = {"token": secrets.token_urlsafe(32), "created": time.time()}
    draft.update({k: choice[k] for k in CHOICE_KEYS})
    draft.update({k: details.get(k, "") for k in DETAIL_KEYS})
    drafts[draft_id] = draft
    _store(session, drafts)
    return draft_id


def update_choice(session, draft_id: str, **choice) -> None:
    drafts = _drafts(session)
    drafts[draft_id].update({k: v for k, v in choice.items() if k in CHOICE_KEYS})
    _store(session, drafts)


def mark_done(session, draft_id: str) -> None:
    """Booked: forget the answers, keep what finds the booking again."""
    drafts = _drafts(session)
    draft = drafts.get(draft_id)
    if draft is None:
        return
    drafts[draft_id] = {k: draft[k] for k in ("token", "created", *CHOICE_KEYS)} | {"done": True}
    _store(session, drafts)


def manage_token_for(draft: dict) -> str:
    """The private link of the appointment this draft books: the same every time it is submitted."""
    return salted_hmac("appointments.drafts.manage", draft["token"], algorithm="sha256").hexdigest()


def booked(draft: dict) -> Appointment | None:
    """The appointment this draft has already booked, if any."""
    return Appointment.objects.filter(manage_token_hash=hash_token(manage_token_for(draft))).first()


def done_for(session, *, service: str, start: str) -> dict | None:
    """A draft in this session that has booked this service at this time (the Back button after booking)."""
    for draft in _drafts(session).values():
        if draft.get("done") and draft.get("service") == service and draft.get("start") == start:
            return draft
    return None


def mark_done_by_token(session, token: str) -> None:
    for key, draft in _drafts(session).items():
        if draft.get("token") == token and not draft.get("done"):
            mark_done(session, key)
