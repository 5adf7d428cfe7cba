"""Editors draft the Important Notes (and other notices) as they draft pages; Moderators publish them.

Wagtail's own Editors and Moderators groups had no permission on notices at all, so the disclaimer
shown on every article could only be changed by an administrator. Only adds, and only to groups of
those names that exist; the permissions are made here if missing (on a new database Django and
Wagtail make them only after the last migration).
"""

from django.db import migrations

NAMES = {"add": "Can add notice", "change": "Can change notice", "view": "Can view notice", "publish": "Can publish notice"}
GROUPS = {"Editors": ("add", "change", "view"), "Moderators": ("add", "change", "view", "publish")}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    groups = {group.name: group for group in Group.objects.filter(name__in=GROUPS)}
    if not groups:
        return
    content_type, _ = ContentType.objects.get_or_create(app_label="pages", model="notice")
    permissions = {
        action: Permission.objects.get_or_create(
            content_type=content_type, codename=f"{action}_notice", defaults={"name": name}
        )[0]
        for action, name in NAMES.items()
    }
    for name, group in groups.items():
        group.permissions.add(*(permissions[action] for action in GROUPS[name]))


class Migration(migrations.Migration):
    dependencies = [
        ("pages", "0004_notice_drafts_and_revisions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0002_initial_data"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
