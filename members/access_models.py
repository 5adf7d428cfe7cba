"""What the members gate keeps: the rotating shared password, personal passes, the policy and daily
counts. The page types are in models.py, which re-exports these for Django and for other modules.

No model here stores a raw IP address or a password in clear: passwords are argon2-hashed
for checking, with an encrypted copy only so permitted staff can read them out.
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


@register_setting(icon="lock")
class MembersPolicy(BaseGenericSetting):
    """How often the shared members password changes and how long the old one keeps working."""

    rotation_interval_days = models.PositiveSmallIntegerField(
        _("rotation interval (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("A new password is made automatically when the current one is this old."),
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"),
        default=7,
        validators=[MaxValueValidator(90)],
        help_text=_(
            "After a change, the previous password and the visits it opened keep working this long. "
            "0 ends them at once."
        ),
    )

    care_days = models.PositiveSmallIntegerField(
        _("members access after a visit (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "A pass given from an appointment works while the patient has a confirmed visit booked, "
            "and for this many days after a visit marked attended."
        ),
    )

    email_passes = models.BooleanField(
        _("also email passes given from an appointment"),
        default=False,
        help_text=_(
            "Off: the pass is printed and handed over in person. On: it is also emailed to the booking's "
            "email address, when it has one."
        ),
    )

    panels = [
        FieldPanel("rotation_interval_days"),
        FieldPanel("grace_days"),
        FieldPanel("care_days"),
        FieldPanel("email_passes"),
    ]

    class Meta:
        verbose_name = _("members password policy")

    @property
    def interval(self) -> datetime.timedelta:
        return datetime.timedelta(days=self.rotation_interval_days)

    @property
    def grace(self) -> datetime.timedelta:
        return datetime.timedelta(days=self.grace_days)


class SharedPassword(models.Model):
    """One generation of the shared members password.

    Exactly one row has `replaced_at` empty: the current password. A replaced row keeps
    opening the area (and its earlier grants stay valid) until `grace_until`.
    """

    generation = models.PositiveIntegerField(_("generation"), unique=True)
    password_hash = models.CharField(max_length=255)
    password_encrypted = models.TextField()
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaced_at = models.DateTimeField(_("replaced"), null=True, blank=True)
    grace_until = models.DateTimeField(_("still accepted until"), null=True, blank=True)

    class Meta:
        verbose_name = _("members password")
        verbose_name_plural = _("members passwords")
        ordering = ["-generation"]
        permissions = [
            ("view_members_password", _("Can see the current members password and print cards")),
            ("rotate_members_password", _("Can change the members password now")),
            ("manage_passes", _("Can issue, print and revoke personal patient passes")),
        ]

    def __str__(self):
        # Never the password itself: this string reaches logs and the audit log.
        return str(_("Members password #%(generation)s") % {"generation": self.generation})


class PatientPass(models.Model):
    """A personal code for one patient, identified only by a label such as a chart number."""

    label = models.CharField(
        _("label or chart number"),
        max_length=60,
        help_text=_("Something reception recognises, e.g. a chart number. No name is needed."),
    )
    code_digest = models.CharField(max_length=64, unique=True, editable=False)
    code_encrypted = models.TextField(editable=False)
    valid_until = models.DateTimeField(_("valid until"))
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    # A pass given from an appointment (members/care.py) lasts while the patient is in care: the
    # bookings' own identity (email, else phone digits) kept only as a keyed digest, and the two
    # visit days its `valid_until` is computed from. Blank for passes issued by hand.
    in_care = models.BooleanField(_("follows the patient's appointments"), default=False, editable=False)
    patient_key = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    last_attended_on = models.DateField(_("last visit attended"), null=True, blank=True, editable=False)
    booked_until_on = models.DateField(_("last confirmed visit booked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("patient pass")
        verbose_name_plural = _("patient passes")
        ordering = ["-created_at"]
        constraints = [
            # One open pass per patient: a double-submitted "Give members access" cannot make two.
            models.UniqueConstraint(
                fields=["patient_key"],
                condition=models.Q(revoked_at__isnull=True) & ~models.Q(patient_key=""),
                name="one_open_pass_per_patient",
            ),
        ]

    def __str__(self):
        return str(_("Pass for %(label)s") % {"label": self.label})

    def is_valid(self, *, now: datetime.datetime) -> bool:
        return self.revoked_at is None and now < self.valid_until


class DailyAccessCount(models.Model):
    """Per-day totals for the staff screen: counts only, never who or from where."""

    date = models.DateField(_("date"), unique=True)
    entries = models.PositiveIntegerField(_("entries"), default=0)
    failures = models.PositiveIntegerField(_("failed attempts"), default=0)
    throttled = models.PositiveIntegerField(_("throttled clients"), default=0)

    class Meta:
        verbose_name = _("daily members-area count")
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date}: {self.entries}/{self.failures}/{self.throttled}"
