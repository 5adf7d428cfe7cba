from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members area")

    def ready(self):
        from wagtail.documents import get_document_model
        from wagtail.images import get_image_model

        from . import care_receivers, receivers
        from .admin_permissions import register_policies
        from .protected_media import keep_members_renditions_private, move_to_private_storage
        from .setup import ensure_all

        receivers.declare()
        care_receivers.connect()
        post_migrate.connect(ensure_all, sender=self, dispatch_uid="members-setup")

        def protect(sender, instance, **kwargs):
            move_to_private_storage(instance)

        self._protect = protect  # keep a strong reference for the weak signal connection
        for model in (get_image_model(), get_document_model()):
            post_save.connect(protect, sender=model, dispatch_uid=f"members-protect-{model._meta.label}")
        keep_members_renditions_private(get_image_model().get_rendition_model())
        register_policies()
