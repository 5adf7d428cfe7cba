"""PostgreSQL only: two active appointments of one practitioner can never overlap.

btree_gist lets one GiST index combine equality on the practitioner with range overlap. It lives
in a migration, not in Meta.constraints, because SQLite cannot run it; on SQLite the booking
service's IMMEDIATE transaction and overlap check do the job.
"""

from django.db import migrations

CONSTRAINT = "appointments_appointment_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"""
        ALTER TABLE appointments_appointment ADD CONSTRAINT {CONSTRAINT}
        EXCLUDE USING gist (practitioner_id WITH =, tstzrange("start", "end", '[)') WITH &&)
        WHERE (status IN ('pending', 'confirmed'))
        """
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE appointments_appointment DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]

    operations = [migrations.RunPython(add_constraint, drop_constraint, elidable=False)]
