"""The waitlist (キャンセル待ち): who waits for which service on which days, and the times offered to them.

Imported by models.py, so Django sees these models as the appointments app's.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WaitlistEntry(models.Model):
    """One patient waiting for one service (and practitioner, or anyone) on one or more days."""

    service = models.ForeignKey(
        "appointments.Service", on_delete=models.CASCADE, related_name="waitlist", verbose_name=_("service")
    )
    practitioner = models.ForeignKey(
        "appointments.Practitioner",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waitlist",
        verbose_name=_("practitioner"),
        help_text=_("Empty: anyone."),
    )
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"), max_length=254)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    consent_at = models.DateTimeField(_("consent given at"))
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True, db_index=True)
    # Only the hash of the private "leave the list" link is kept.
    leave_token_hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")

    def __str__(self):
        return f"{self.name} – {self.service}"


class WaitlistDay(models.Model):
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="days")
    day = models.DateField(_("day"), db_index=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["entry", "day"], name="waitlist_one_row_per_day")]

    def __str__(self):
        return f"{self.day:%Y-%m-%d}"


class WaitlistOffer(models.Model):
    """A freed time offered by email; the first patient to confirm books it through the one booking service."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Offered")
        BOOKED = "booked", _("Booked")
        GONE = "gone", _("Taken by someone else")

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    practitioner = models.ForeignKey("appointments.Practitioner", on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField(_("start"))
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("waitlist offer")
        constraints = [
            models.UniqueConstraint(fields=["entry", "practitioner", "start"], name="waitlist_one_offer_per_time")
        ]

    def __str__(self):
        return f"{self.entry} {self.start:%Y-%m-%d %H:%M}"
