"""The contact form page's behaviour: honeypot, per-client throttle, and mail through the outbox."""

from __future__ import annotations

from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import patch_cache_control

from throttling.limits import Limit, client_address

from .plain_mail import send_plain_email
from .validators import CONTROL

HONEYPOT = "website"  # a field people never see; bots fill it in
MAX_FIELD = 5000
CONTACT_LIMIT = Limit("contact", limit=5, seconds=3600)  # messages per client address
MULTILINE = {"message", "your_message", "csrfmiddlewaretoken"}


def serve_contact_page(page, request, *args, **kwargs):
    from wagtail.contrib.forms.models import AbstractEmailForm

    if request.method == "POST":
        if request.POST.get(HONEYPOT):
            # Pretend it worked, store nothing.
            response = TemplateResponse(request, page.get_landing_page_template(request), page.get_context(request))
            patch_cache_control(response, private=True, no_store=True)
            return response
        problem = None
        for key, value in request.POST.items():
            if len(value) > MAX_FIELD or "\x00" in value:
                problem = _("A field is too long.")
            elif CONTROL.search(value) and key not in MULTILINE:
                problem = _("Remove line breaks and special characters from the short fields.")
        if problem is None and not CONTACT_LIMIT.hit(client_address(request)).allowed:
            problem = _("Too many messages from here. Please wait a while or phone the clinic.")
            status = 429
        else:
            status = 400
        if problem:
            form = page.get_form(request.POST, page=page, user=request.user)
            context = page.get_context(request)
            context["form"] = form
            context["problem"] = problem
            response = TemplateResponse(request, page.get_template(request), context, status=status)
            patch_cache_control(response, private=True, no_store=True)
            return response
    response = AbstractEmailForm.serve(page, request, *args, **kwargs)
    patch_cache_control(response, private=True, no_store=True)
    if request.method == "POST" and response.status_code == 200 and "form" in getattr(response, "context_data", {}):
        # Wagtail re-renders the form with errors with a 200; say it is the client's problem.
        form = response.context_data["form"]
        if form.errors:
            response.status_code = 400
    return response


def queue_submission_email(page, form) -> None:
    addresses = [x.strip() for x in page.to_address.split(",") if x.strip()]
    if not addresses:
        return
    lines = []
    for field in form:
        value = field.value()
        if field.name == HONEYPOT:
            continue
        if isinstance(value, list):
            value = ", ".join(value)
        lines.append(f"{field.label}: {value}")
    reply_to = None
    email = form.cleaned_data.get("email") or form.cleaned_data.get("your_email")
    if email:
        reply_to = [email]
    send_plain_email.enqueue(
        subject=page.subject or _("Message from the website"), body="\n".join(lines), to=addresses, reply_to=reply_to
    )
