"""Time-overlap guards the database enforces itself, on PostgreSQL.

SQLite has no exclusion constraints; there the service-level checks under the per-coach
lock are the guard (SQLite serialises writers anyway). On PostgreSQL, two concurrent
bookings that both passed the checks cannot both commit: the loser gets an
exclusion_violation (23P01), which the booking service answers with 409 slot_unavailable.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE sessions_app_appointment ADD CONSTRAINT appointment_no_overlap_per_coach
       EXCLUDE USING gist (coach_id WITH =, tstzrange(start, "end", '[)') WITH &&)""",
    """ALTER TABLE sessions_app_session ADD CONSTRAINT session_no_overlap_per_coach
       EXCLUDE USING gist (coach_id WITH =, tstzrange(scheduled_start, scheduled_end, '[)') WITH &&)
       WHERE (status <> 'CANCELLED')""",
    """ALTER TABLE sessions_app_session ADD CONSTRAINT session_no_overlap_per_customer
       EXCLUDE USING gist (customer_id WITH =, tstzrange(scheduled_start, scheduled_end, '[)') WITH &&)
       WHERE (status <> 'CANCELLED')""",
]
BACKWARD = [
    "ALTER TABLE sessions_app_session DROP CONSTRAINT IF EXISTS session_no_overlap_per_customer",
    "ALTER TABLE sessions_app_session DROP CONSTRAINT IF EXISTS session_no_overlap_per_coach",
    "ALTER TABLE sessions_app_appointment DROP CONSTRAINT IF EXISTS appointment_no_overlap_per_coach",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
