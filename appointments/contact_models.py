"""The general contact form page (Wagtail's form builder); kept apart from the booking data."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField
from wagtail.fields import RichTextField


class ContactFormField(AbstractFormField):
    page = ParentalKey("ContactPage", on_delete=models.CASCADE, related_name="form_fields")


class ContactPage(AbstractEmailForm):
    """The general contact form at /contact/ (Wagtail's form builder).

    Mail goes through the outbox rather than straight to SMTP, a hidden honeypot field
    catches simple bots, and each client may send only a few messages an hour.
    """

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    thank_you_text = RichTextField(_("thank-you text"), blank=True, features=["bold", "italic", "link"])

    content_panels = AbstractEmailForm.content_panels + [
        FieldPanel("intro"),
        InlinePanel("form_fields", label=_("Form fields")),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("from_address"), FieldPanel("to_address")]), FieldPanel("subject")],
            heading=_("Email"),
        ),
    ]

    max_count = 1
    parent_page_types = ["pages.HomePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("contact page")

    def get_submissions_list_view_class(self):
        from .spreadsheets import ContactSubmissionsListView

        return ContactSubmissionsListView

    def serve(self, request, *args, **kwargs):
        from .contact import serve_contact_page

        return serve_contact_page(self, request, *args, **kwargs)

    def send_mail(self, form):
        from .contact import queue_submission_email

        queue_submission_email(self, form)
