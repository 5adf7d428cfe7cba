import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class GateForm(forms.Form):
    secret = forms.CharField(
        label=_("Members password or personal pass code"),
        max_length=100,
        strip=True,
        error_messages={"required": _("Enter the password you were given at the clinic.")},
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    # No length limit here: a hidden field the patient cannot see or fix must never fail the form.
    # The view reads it through safe_next(), which falls back to the members home page.
    next = forms.CharField(required=False, widget=forms.HiddenInput)


GRACE_CHOICES = [
    (0, _("No grace: the old password and everyone it let in lose access now (use after a leak)")),
    (1, _("1 day")),
    (7, _("7 days")),
    (14, _("14 days")),
    (30, _("30 days")),
]


class RotateForm(forms.Form):
    grace_days = forms.TypedChoiceField(label=_("Keep the old password working for"), choices=GRACE_CHOICES, coerce=int)
    generation = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("Yes, make a new password now. Patients will need the new one."),
        error_messages={"required": _("Tick the box to confirm the change.")},
    )


class IssuePassForm(forms.Form):
    label = forms.CharField(
        label=_("Label or chart number"),
        max_length=60,
        help_text=_("Something reception recognises, e.g. a chart number. No name is needed."),
    )
    valid_until = forms.DateField(
        label=_("Valid until (inclusive)"),
        # A date input only takes yyyy-mm-dd: the en-gb default (28/02/2027) left it empty in the browser.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The pass stops working at the end of this day."),
    )

    def clean_valid_until(self):
        value = self.cleaned_data["valid_until"]
        today = timezone.localdate()
        if value < today:
            raise forms.ValidationError(_("Choose today or a later date."))
        if value > today + datetime.timedelta(days=366):
            raise forms.ValidationError(_("A pass can last at most a year. Issue a new one after that."))
        return value

    def valid_until_datetime(self) -> datetime.datetime:
        day = self.cleaned_data["valid_until"] + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
