"""Completed sessions leave the overlap constraints, and a slot can outlive only cancelled sessions.

A session that ends early (both agreed after 15 of 60 minutes) no longer holds the rest of its
time: the coach can take an instant session right away. A completed session cannot overlap a new
booking otherwise, since new bookings start now or later and the completed one lies before.
A free slot whose sessions were all cancelled can be deleted; those sessions keep their times
and lose their appointment link.
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = [
    "ALTER TABLE sessions_app_session DROP CONSTRAINT IF EXISTS session_no_overlap_per_coach",
    "ALTER TABLE sessions_app_session DROP CONSTRAINT IF EXISTS session_no_overlap_per_customer",
    """ALTER TABLE sessions_app_session ADD CONSTRAINT session_no_overlap_per_coach
       EXCLUDE USING gist (coach_id WITH =, tstzrange(scheduled_start, scheduled_end, '[)') WITH &&)
       WHERE (status NOT IN ('CANCELLED', 'COMPLETED'))""",
    """ALTER TABLE sessions_app_session ADD CONSTRAINT session_no_overlap_per_customer
       EXCLUDE USING gist (customer_id WITH =, tstzrange(scheduled_start, scheduled_end, '[)') WITH &&)
       WHERE (status NOT IN ('CANCELLED', 'COMPLETED'))""",
]
BACKWARD = [
    "ALTER TABLE sessions_app_session DROP CONSTRAINT IF EXISTS session_no_overlap_per_coach",
    "ALTER TABLE sessions_app_session DROP CONSTRAINT IF EXISTS session_no_overlap_per_customer",
    """ALTER TABLE sessions_app_session ADD CONSTRAINT session_no_overlap_per_coach
       EXCLUDE USING gist (coach_id WITH =, tstzrange(scheduled_start, scheduled_end, '[)') WITH &&)
       WHERE (status <> 'CANCELLED')""",
    """ALTER TABLE sessions_app_session ADD CONSTRAINT session_no_overlap_per_customer
       EXCLUDE USING gist (customer_id WITH =, tstzrange(scheduled_start, scheduled_end, '[)') WITH &&)
       WHERE (status <> 'CANCELLED')""",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0003_instant_slots_outside_slot_overlap")]

    operations = [
        migrations.AlterField(
            model_name="session",
            name="appointment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="sessions",
                to="sessions_app.appointment",
            ),
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
