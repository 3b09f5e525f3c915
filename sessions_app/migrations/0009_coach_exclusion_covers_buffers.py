"""The coach's exclusion constraint covers each session's buffered time.

A session blocks its coach over [scheduled_start - buffer_before, scheduled_end + buffer_after).
PostgreSQL only accepts IMMUTABLE functions in an exclusion constraint's expression, and
``timestamptz - interval`` is STABLE (an interval of days or months depends on the session's
TimeZone), so ``tstzrange(scheduled_start - make_interval(mins => ...), ...)`` is refused with
"functions in index expression must be marked IMMUTABLE". A shift by whole minutes does not depend
on any time zone, so the wrapper below is truly immutable and may say so. (A generated column would
meet the same rule.) Only minutes reach it: the buffers are integer minutes.

The customer's constraint stays on the scheduled time: buffers are the coach's.
"""

from django.db import migrations

FORWARD = [
    """CREATE OR REPLACE FUNCTION session_blocked_range(
           start_at timestamptz, end_at timestamptz, before_minutes integer, after_minutes integer
       ) RETURNS tstzrange LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
           SELECT pg_catalog.tstzrange(
               start_at - pg_catalog.make_interval(mins => before_minutes),
               end_at + pg_catalog.make_interval(mins => after_minutes),
               '[)'
           )
       $$""",
    "ALTER TABLE sessions_app_session DROP CONSTRAINT IF EXISTS session_no_overlap_per_coach",
    """ALTER TABLE sessions_app_session ADD CONSTRAINT session_no_overlap_per_coach
       EXCLUDE USING gist (
           coach_id WITH =,
           session_blocked_range(scheduled_start, scheduled_end, buffer_before_minutes, buffer_after_minutes) WITH &&
       )
       WHERE (status NOT IN ('CANCELLED', 'COMPLETED'))""",
]
BACKWARD = [
    "ALTER TABLE sessions_app_session DROP CONSTRAINT IF EXISTS session_no_overlap_per_coach",
    """ALTER TABLE sessions_app_session ADD CONSTRAINT session_no_overlap_per_coach
       EXCLUDE USING gist (coach_id WITH =, tstzrange(scheduled_start, scheduled_end, '[)') WITH &&)
       WHERE (status NOT IN ('CANCELLED', 'COMPLETED'))""",
    "DROP FUNCTION IF EXISTS session_blocked_range(timestamptz, timestamptz, integer, integer)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0008_buffers_slot_source_calendar_sequence")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
