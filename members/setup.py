"""Things every database needs: the "Members only" collection and the Reception group.

Reception hands out the members password and passes and works the bookings calendar (see, confirm,
cancel, move, mark attended or not, closures and time off); deleting a patient's data, services,
practitioners and their hours stay with the administrators.

Also removes renditions of members images that an earlier release wrote to the public folder.

Run after every `migrate` (post_migrate), so they exist on a fresh database, in tests and
after an upgrade; idempotent and never undoing what staff changed.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

RECEPTION_GROUP = "Reception"
# Also given to an existing Reception group once, by appointments migration 0005.
RECEPTION_APPOINTMENT_PERMISSIONS = [
    ("appointments", "view_appointment"),
    ("appointments", "change_appointment"),
    *[
        ("appointments", f"{action}_{model}")
        for model in ("closure", "timeoff")
        for action in ("add", "change", "delete", "view")
    ],
]
RECEPTION_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("members", "view_members_password"),
    ("members", "rotate_members_password"),
    ("members", "manage_passes"),
    *RECEPTION_APPOINTMENT_PERMISSIONS,
]


def ensure_reception_group() -> Group:
    group, created = Group.objects.get_or_create(name=RECEPTION_GROUP)
    if created:
        # post_migrate receivers run in app order and ours may come before auth's own.
        for app_label in {label for label, _ in RECEPTION_PERMISSIONS}:
            create_permissions(apps.get_app_config(app_label), verbosity=0)
        for app_label, codename in RECEPTION_PERMISSIONS:
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission:
                group.permissions.add(permission)
    return group


def ensure_all(**kwargs) -> None:
    from wagtail.models import Collection

    from .protected_media import members_collection, remove_public_renditions_of_members_images

    ensure_reception_group()
    if Collection.get_first_root_node() is not None:  # absent right after a test flush
        members_collection()
    remove_public_renditions_of_members_images()  # made in the public folder before they were kept private
