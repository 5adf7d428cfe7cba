"""Admin forms for setting up: a slug is filled in from the name when left empty, and a
practitioner's services are chosen on the practitioner's own page as well as on each service's."""

from __future__ import annotations

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm


def free_slug(model, name: str, *, exclude_pk=None) -> str:
    """The name as a slug, made unique with -2, -3... (cut to the field's 60 characters)."""
    base = slugify(name)[:55].strip("-") or "item"
    taken = set(model.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


class SlugFromNameForm(WagtailAdminModelForm):
    """Leave the slug empty and it is made from the name; a slug typed by staff is kept as typed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _("Part of the booking links. Leave empty to make it from the name.")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("slug") and cleaned.get("name"):
            cleaned["slug"] = free_slug(self._meta.model, cleaned["name"], exclude_pk=self.instance.pk)
            self.instance.slug = cleaned["slug"]
        return cleaned


class PractitionerForm(SlugFromNameForm):
    services = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Services"),
        help_text=_("What patients can book with this practitioner."),
    )

    def __init__(self, *args, **kwargs):
        from .models import Service

        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = Service.objects.all()
        if self.instance.pk:
            self.initial.setdefault("services", list(self.instance.services.all()))

    def _save_m2m(self):
        # Runs after the practitioner row exists, whether the view saved with commit or not.
        super()._save_m2m()
        self.instance.services.set(self.cleaned_data.get("services") or [])
