from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EnrolmentCode(models.Model):
    """A one-time code an administrator hands to a colleague so they can set up two-factor.

    Only a digest is stored: the code is shown once, to the administrator who issued it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued"))
    expires_at = models.DateTimeField(_("expires"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("two-factor enrolment code")
        verbose_name_plural = _("two-factor enrolment codes")
        ordering = ["-created_at"]

    def __str__(self):
        return str(_("Enrolment code for user %(id)s") % {"id": self.user_id})
