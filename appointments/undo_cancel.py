"""Undo a staff cancel while the time is still free: the same lock and overlap check as book()."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import emails
from .booking import InvalidBooking, SlotTaken, _clashes
from .change_log import AppointmentChange
from .models import Appointment, Practitioner


def cancel_to_undo(appointment: Appointment) -> AppointmentChange | None:
    """The staff cancel that an undo would reverse: the latest change, if it is one."""
    if appointment.status != Appointment.Status.CANCELLED:
        return None
    last = appointment.changes.order_by("-at", "-pk").first()
    if last is None or last.kind != AppointmentChange.Kind.CANCELLED or last.by_patient:
        return None
    return last


def undo_cancel(*, appointment: Appointment, now: dt.datetime | None = None) -> Appointment:
    """Put a staff-cancelled appointment back, if its time is still free (the same overlap check as book())."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = Practitioner.objects.select_for_update().get(pk=appointment.practitioner_id)
            current = Appointment.objects.select_for_update().get(pk=appointment.pk)
            cancel = cancel_to_undo(current)
            if cancel is None:
                raise InvalidBooking({"action": _("Only an appointment that staff cancelled can be put back.")})
            if current.start <= now:
                raise InvalidBooking({"action": _("This appointment's time has passed; book a new one instead.")})
            if _clashes(locked, current.start, current.end, current.blocked_until, exclude=current.pk):
                raise SlotTaken([])
            current.status = cancel.previous_status or Appointment.Status.CONFIRMED
            current.sequence += 1
            current.save()
            AppointmentChange.log(current, "restored", at=now)
            emails.queue_change(current, "restored")
    except IntegrityError:
        raise SlotTaken([]) from None
    return current
