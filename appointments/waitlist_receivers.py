"""Notice when an appointment gives its time back (cancel, move, decline, expiry, staff change) and
queue the waitlist offers for that day in the same transaction as the change."""

from __future__ import annotations

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

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
    day = before["start"].astimezone(clinic_zone()).date()
    if WaitlistDay.objects.filter(day=day).exists():
        from .waitlist import offer_freed_time as task

        task.enqueue(practitioner_id=before["practitioner_id"], day=day.isoformat(), start=before["start"].isoformat())
