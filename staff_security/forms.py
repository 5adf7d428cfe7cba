from django import forms
from django.utils.translation import gettext_lazy as _

from .enrolment import looks_like_code


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("6-digit code from your authenticator app"),
        regex=r"^\s*\d{6,8}\s*$",
        max_length=16,
        error_messages={"invalid": _("Enter the 6 digits your authenticator app shows now.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


class EnrolmentCodeForm(forms.Form):
    enrolment_code = forms.CharField(
        label=_("Enrolment code from your administrator"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "size": 22}
        ),
    )

    def clean_enrolment_code(self) -> str:
        code = self.cleaned_data["enrolment_code"]
        if not looks_like_code(code):
            raise forms.ValidationError(
                _("Type the code as you were given it: 16 letters and digits (the dashes are optional).")
            )
        return code
