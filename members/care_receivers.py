"""Keep in-care passes (care.py) in step with the patient's appointments and the policy.

Connected by model label, so members never imports appointments: every save or delete of an
appointment (booking, confirm, cancel, move, attended/no-show, staff edits of the patient's
details, erasure) recomputes the passes that follow that patient. Appointment saves are rare next
to page views; the access check itself never reads appointments.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from . import care
from .access_models import MembersPolicy

APPOINTMENT = "appointments.Appointment"
_BEFORE = "_members_identities_before"


def _identities(instance) -> list:
    return care.identities_of(email=instance.email or "", phone=instance.phone or "")


def remember_identity(sender, instance, raw=False, **kwargs):
    # Staff may change a booking's email or phone: the pass that followed the old one is recomputed too.
    if raw or instance.pk is None:
        return
    before = sender.objects.filter(pk=instance.pk).values("email", "phone").first()
    if before:
        setattr(instance, _BEFORE, care.identities_of(email=before["email"], phone=before["phone"]))


def appointment_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    identities = [*getattr(instance, _BEFORE, []), *_identities(instance)]
    care.appointment_changed(identities=identities, now=timezone.now())


def appointment_deleted(sender, instance, **kwargs):
    care.appointment_changed(identities=_identities(instance), now=timezone.now())


def policy_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        care.policy_changed(now=timezone.now())


def connect() -> None:
    pre_save.connect(remember_identity, sender=APPOINTMENT, dispatch_uid="members-care-before")
    post_save.connect(appointment_saved, sender=APPOINTMENT, dispatch_uid="members-care-saved")
    post_delete.connect(appointment_deleted, sender=APPOINTMENT, dispatch_uid="members-care-deleted")
    post_save.connect(policy_saved, sender=MembersPolicy, dispatch_uid="members-care-policy")
