"""Booking data: practitioners, services, working hours, closures, time off, booking policy and appointments.

Times are stored as aware UTC datetimes; weekly hours are wall-clock times in the clinic's time zone
(`pages.models.ClinicSettings.time_zone`), turned into instants day by day so DST changes stay correct.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Orderable

from .blocks import BookingCareCardStreamBlock
from .contact_models import ContactFormField, ContactPage  # noqa: F401 - models of this app, defined apart
from .online_limit_fields import OnlineBookingLimits

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read out over the phone


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


class Practitioner(ClusterableModel):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    active = models.BooleanField(_("takes bookings"), default=True)
    # Only the hash of the private calendar-feed token is kept; a new token revokes the old one.
    feed_token_hash = models.CharField(max_length=64, blank=True, editable=False)

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("slug")]),
        FieldPanel("active"),
        InlinePanel("working_hours", heading=_("Weekly working hours"), label=_("Working hours")),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("practitioner")
        verbose_name_plural = _("practitioners")

    def __str__(self):
        return self.name

    def new_feed_token(self) -> str:
        token = secrets.token_urlsafe(32)
        self.feed_token_hash = hash_token(token)
        self.save(update_fields=["feed_token_hash"])
        return token

    def revoke_feed(self) -> None:
        self.feed_token_hash = ""  # nosec B105
        self.save(update_fields=["feed_token_hash"])


class WorkingHours(Orderable):
    practitioner = ParentalKey(Practitioner, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=WEEKDAYS)
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))

    panels = [FieldRowPanel([FieldPanel("weekday"), FieldPanel("starts"), FieldPanel("ends")])]

    class Meta(Orderable.Meta):
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"

    def clean(self):
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValidationError({"ends": _("The end must be after the start.")})


class Service(models.Model):
    class Audience(models.TextChoices):
        ANY = "any", _("Anyone")
        NEW = "new", _("New patients")
        RETURNING = "returning", _("Returning patients")

    class Confirmation(models.TextChoices):
        INSTANT = "instant", _("Instant: booked at once")
        REQUEST = "request", _("Request: staff confirm")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    description = models.CharField(_("short description"), max_length=300, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer after (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    price_text = models.CharField(_("price"), max_length=60, blank=True, help_text=_("Shown as written, e.g. £60."))
    audience = models.CharField(_("for"), max_length=10, choices=Audience.choices, default=Audience.ANY)
    confirmation = models.CharField(
        _("confirmation"), max_length=10, choices=Confirmation.choices, default=Confirmation.INSTANT
    )
    practitioners = models.ManyToManyField(Practitioner, related_name="services", verbose_name=_("practitioners"))
    active = models.BooleanField(_("bookable online"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("slug")]),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("duration_minutes"), FieldPanel("buffer_minutes"), FieldPanel("price_text")]),
        FieldRowPanel([FieldPanel("audience"), FieldPanel("confirmation")]),
        FieldPanel("practitioners"),
        FieldRowPanel([FieldPanel("active"), FieldPanel("sort_order")]),
    ]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self):
        return self.name


class Closure(models.Model):
    """Whole days on which the clinic is closed (holidays), inclusive."""

    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    panels = [FieldRowPanel([FieldPanel("first_day"), FieldPanel("last_day")]), FieldPanel("reason")]

    class Meta:
        ordering = ["first_day"]
        verbose_name = _("clinic closure")
        verbose_name_plural = _("clinic closures")

    def __str__(self):
        return f"{self.first_day:%Y-%m-%d}–{self.last_day:%Y-%m-%d} {self.reason}".strip()

    def clean(self):
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": _("The last day cannot be before the first day.")})


class TimeOff(models.Model):
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="time_off", verbose_name=_("practitioner")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    panels = [
        FieldPanel("practitioner"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldPanel("reason"),
    ]

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("time off")
        verbose_name_plural = _("time off")

    def __str__(self):
        return f"{self.practitioner}: {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})


@register_setting(icon="date")
class BookingSettings(OnlineBookingLimits, BaseSiteSetting):
    """The booking policy and the wording around it."""

    min_notice_hours = models.PositiveSmallIntegerField(
        _("minimum notice (hours)"), default=12, validators=[MaxValueValidator(24 * 60)]
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("booking horizon (days)"), default=60, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    slot_step_minutes = models.PositiveSmallIntegerField(
        _("start times every (minutes)"), default=15, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    daily_limit = models.PositiveSmallIntegerField(
        _("bookings per practitioner per day"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(1000)],
        help_text=_("Leave empty for no limit."),
    )
    # Upper bounds keep the date arithmetic in range (SQLite stores any integer; a retention of
    # 40000 months made the daily purge fail with "year -1307 is out of range").
    manage_cutoff_hours = models.PositiveSmallIntegerField(
        _("patients may change or cancel online until (hours before)"),
        default=24,
        validators=[MaxValueValidator(24 * 366)],
    )
    reminder_hours = models.PositiveSmallIntegerField(
        _("reminder sent (hours before)"), default=24, validators=[MaxValueValidator(24 * 366)]
    )
    request_expiry_hours = models.PositiveSmallIntegerField(
        _("unconfirmed requests expire after (hours)"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 366)],
    )
    retention_months = models.PositiveSmallIntegerField(
        _("keep patient details of past appointments for (months)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(1200)],
    )
    notification_email = models.EmailField(
        _("send new bookings to"), blank=True, help_text=_("Empty: the clinic email from clinic settings.")
    )
    care_card = StreamField(
        BookingCareCardStreamBlock(),
        blank=True,
        verbose_name=_("urgent care card"),
        help_text=_("Shown on every booking step and on the confirmation."),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("min_notice_hours"), FieldPanel("horizon_days")]),
                FieldRowPanel([FieldPanel("slot_step_minutes"), FieldPanel("daily_limit")]),
                FieldRowPanel([FieldPanel("manage_cutoff_hours"), FieldPanel("reminder_hours")]),
                FieldRowPanel([FieldPanel("request_expiry_hours"), FieldPanel("retention_months")]),
            ],
            heading=_("Policy"),
        ),
        OnlineBookingLimits.limits_panel,
        FieldPanel("notification_email"),
        FieldPanel("care_card"),
    ]

    class Meta:
        verbose_name = _("booking settings")

    def __str__(self):
        return str(self._meta.verbose_name)


class Appointment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Requested")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        ATTENDED = "attended", _("Attended")
        NO_SHOW = "no_show", _("Did not attend")
        EXPIRED = "expired", _("Expired")

    # Statuses that hold their time: the PostgreSQL exclusion constraint uses the same list.
    ACTIVE = (Status.PENDING, Status.CONFIRMED)

    reference = models.CharField(_("reference"), max_length=12, unique=True, default=new_reference, editable=False)
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("practitioner")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("service")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    # end + the service's buffer at booking time: the next booking may start here at the earliest.
    blocked_until = models.DateTimeField(editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    manage_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False, help_text="iCalendar SEQUENCE")
    name = models.CharField(_("name"), max_length=100)
    # Empty for patients booked by phone or at the desk without one: they get a printed slip.
    email = models.EmailField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    message = models.TextField(_("message"), max_length=500, blank=True)
    consent = models.BooleanField(_("consent to storing details"), default=False)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    # Online bookings count against the limits in booking settings; staff bookings never do.
    booked_online = models.BooleanField(_("booked online"), default=False, editable=False)
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    expires_at = models.DateTimeField(_("request expires at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True, editable=False)
    # The start a reminder was queued for; a moved appointment gets a new one.
    reminder_queued_for = models.DateTimeField(null=True, blank=True, editable=False)
    purged_at = models.DateTimeField(_("details purged at"), null=True, blank=True, editable=False)
    # Staff bookings (phone, desk): who booked, and a note the patient never sees.
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("booked by"),
    )
    note = models.TextField(_("internal note"), max_length=500, blank=True)
    # A course of care: the sessions booked together share a series key; "session 2 of 6".
    series = models.UUIDField(_("course of care"), null=True, blank=True, editable=False, db_index=True)
    series_number = models.PositiveSmallIntegerField(_("session"), null=True, blank=True, editable=False)
    series_total = models.PositiveSmallIntegerField(_("sessions in the course"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["start"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [
            models.Index(fields=["practitioner", "start"]),
            models.Index(fields=["email"]),
            models.Index(fields=["status", "start"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="appointment_end_after_start"),
        ]

    def __str__(self):
        return f"{self.reference} {timezone.localtime(self.start):%Y-%m-%d %H:%M} {self.practitioner}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def set_manage_token(self) -> str:
        token = secrets.token_urlsafe(32)
        self.manage_token_hash = hash_token(token)
        return token


class ScheduledRun(models.Model):
    """When the worker last ran a periodic job: kept in the database so a restart neither repeats nor skips it."""

    name = models.CharField(max_length=50, unique=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled run")

    def __str__(self):
        return f"{self.name} {self.last_run_at or '-'}"


from .change_log import AppointmentChange  # noqa: E402,F401  (a model of this app, kept in its own module)
from .waitlist_models import WaitlistDay, WaitlistEntry, WaitlistOffer  # noqa: E402, F401
