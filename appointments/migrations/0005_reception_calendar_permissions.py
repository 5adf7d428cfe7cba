"""Give an existing Reception group the bookings calendar (a new database gets it from members.setup).

Reception could see the members password but not today's bookings. Only adds permissions, and only
to a group named Reception that already exists; nothing is taken away.
"""

from django.db import migrations

CODENAMES = [
    "view_appointment",
    "change_appointment",
    *[f"{action}_{model}" for model in ("closure", "timeoff") for action in ("add", "change", "delete", "view")],
]


def add_calendar_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Reception").first()
    if group is None:
        return  # a new database: members.setup creates the group with these permissions after migrate
    group.permissions.add(*Permission.objects.filter(content_type__app_label="appointments", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_scheduledrun"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_calendar_permissions, migrations.RunPython.noop)]
