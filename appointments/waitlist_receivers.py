"""Notice when an appointment gives its time back (cancel, move, decline, expiry, staff change, or a
delete outright) and queue the waitlist offers for that day in the same transaction as the change."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone

from .availability import clinic_zone
from .models import Appointment
from .waitlist_models import WaitlistDay

WATCHED = {"status", "start", "practitioner", "practitioner_id"}


@receiver(pre_save, sender=Appointment)
def remember_time(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (update_fields is not None and not WATCHED & set(update_fields)):
        instance._waitlist_before = None
        return
    instance._waitlist_before = (
        Appointment.objects.filter(pk=instance.pk).values("status", "start", "practitioner_id").first()
    )


@receiver(post_save, sender=Appointment)
def offer_freed_time(sender, instance, **kwargs):
    before = getattr(instance, "_waitlist_before", None)
    if not before or before["status"] not in Appointment.ACTIVE:
        return
    kept = (
        instance.status in Appointment.ACTIVE
        and instance.start == before["start"]
        and instance.practitioner_id == before["practitioner_id"]
    )
    if kept:
        return
    _time_freed(before["practitioner_id"], before["start"])


@receiver(pre_delete, sender=Appointment)
def remember_deleted_time(sender, instance, **kwargs):
    instance._waitlist_deleted = None
    # Past or inactive in memory: nothing to give back, and no query (a bulk delete of old rows stays cheap).
    if instance.status not in Appointment.ACTIVE or instance.end <= timezone.now():
        return
    # The row as stored: the instance being deleted may be older than a cancel made since.
    row = Appointment.objects.filter(pk=instance.pk).values("status", "start", "end", "practitioner_id").first()
    if row and row["status"] in Appointment.ACTIVE and row["end"] > timezone.now():
        instance._waitlist_deleted = row


@receiver(post_delete, sender=Appointment)
def offer_deleted_time(sender, instance, **kwargs):
    """Deleted outright (the admin's delete, erasing a patient): the time comes free as on a cancel.
    Runs inside the deletion's transaction, so the offers are queued only if the delete commits."""
    row = getattr(instance, "_waitlist_deleted", None)
    if row:
        _time_freed(row["practitioner_id"], row["start"])


def _time_freed(practitioner_id: int, start) -> None:
    day = start.astimezone(clinic_zone()).date()
    if WaitlistDay.objects.filter(day=day).exists():
        from .waitlist import offer_freed_time as task

        task.enqueue(practitioner_id=practitioner_id, day=day.isoformat(), start=start.isoformat())
