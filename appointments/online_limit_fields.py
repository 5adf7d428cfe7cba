"""The booking settings' limits on online booking (part of BookingSettings, kept apart for size)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel


class OnlineBookingLimits(models.Model):
    """Online bookings only (the patient pages and the API): staff bookings are never limited."""

    online_bookings_per_hour = models.PositiveSmallIntegerField(
        _("online bookings per hour from one connection"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Counted per internet address, across every server process."),
    )
    online_upcoming_per_email = models.PositiveSmallIntegerField(
        _("upcoming online bookings per email address"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Requested or confirmed appointments still to come; staff bookings do not count."),
    )
    confirmation_emails_per_day = models.PositiveSmallIntegerField(
        _("booking emails per day to one email address"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Confirmations of online bookings and of patients' own changes."),
    )

    limits_panel = MultiFieldPanel(
        [
            FieldRowPanel([FieldPanel("online_bookings_per_hour"), FieldPanel("online_upcoming_per_email")]),
            FieldPanel("confirmation_emails_per_day"),
        ],
        heading=_("Limits on online booking"),
    )

    class Meta:
        abstract = True
