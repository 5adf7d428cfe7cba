"""What happened to an appointment after it was booked, and who did it.

Reception's start page lists what patients moved or cancelled since yesterday, and a staff cancel
can be undone only while it is known to be one; both read this log. It holds no patient details
(the appointment does), so the retention purge and a patient's erasure need nothing extra here.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppointmentChange(models.Model):
    class Kind(models.TextChoices):
        MOVED = "moved", _("Moved")
        CANCELLED = "cancelled", _("Cancelled")
        RESTORED = "restored", _("Cancellation undone")

    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.CASCADE, related_name="changes", verbose_name=_("appointment")
    )
    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    by_patient = models.BooleanField(_("by the patient"), default=False)
    at = models.DateTimeField(_("at"))
    # For a move: where it was; for a cancel: the status it had, so an undo can put it back.
    previous_start = models.DateTimeField(_("previous start"), null=True, blank=True)
    previous_status = models.CharField(_("previous status"), max_length=10, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("appointment change")
        verbose_name_plural = _("appointment changes")
        indexes = [models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def log(cls, appointment, kind: str, *, at, by_patient: bool = False, **previous) -> "AppointmentChange":
        return cls.objects.create(appointment=appointment, kind=kind, by_patient=by_patient, at=at, **previous)
