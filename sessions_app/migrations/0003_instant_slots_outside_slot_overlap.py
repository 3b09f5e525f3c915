"""Instant sessions' own slots leave the slot-overlap constraint.

An instant session creates a slot for its time. Once that session is cancelled (a no-show) or
ends early, the slot kept blocking the coach's calendar until its planned end: no new instant
session and no published slot over that time. Live sessions never overlap anyway
(``session_no_overlap_per_coach``), so the slot constraint only needs the published slots.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE sessions_app_appointment DROP CONSTRAINT IF EXISTS appointment_no_overlap_per_coach",
    """ALTER TABLE sessions_app_appointment ADD CONSTRAINT appointment_no_overlap_per_coach
       EXCLUDE USING gist (coach_id WITH =, tstzrange(start, "end", '[)') WITH &&)
       WHERE (NOT is_instant)""",
]
BACKWARD = [
    "ALTER TABLE sessions_app_appointment DROP CONSTRAINT IF EXISTS appointment_no_overlap_per_coach",
    """ALTER TABLE sessions_app_appointment ADD CONSTRAINT appointment_no_overlap_per_coach
       EXCLUDE USING gist (coach_id WITH =, tstzrange(start, "end", '[)') WITH &&)""",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0002_postgres_exclusion_constraints")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
