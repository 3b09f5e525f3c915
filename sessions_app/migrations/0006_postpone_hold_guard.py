"""PostgreSQL: a slot held by an open postpone request cannot be booked, and a booked slot cannot be held.

The two facts live in two tables, so no constraint can state them; two triggers do. Each takes
the appointment row's lock (FOR NO KEY UPDATE: it serialises the two writers without blocking
foreign-key checks) before it looks, so of a booking and a hold racing for one slot the second
waits for the first to commit, then sees it and fails with 23P01 (the booking paths already turn
that code into 409 ``slot_unavailable``). The services check the same under the coach's lock;
on SQLite, whose write transactions are serial, that check is the guard.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION sessions_app_session_not_into_held_slot() RETURNS trigger AS $$
BEGIN
    IF NEW.appointment_id IS NULL OR NEW.status = 'CANCELLED' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.appointment_id IS NOT DISTINCT FROM OLD.appointment_id
       AND OLD.status <> 'CANCELLED' THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM sessions_app_appointment WHERE id = NEW.appointment_id FOR NO KEY UPDATE;
    IF EXISTS (SELECT 1 FROM sessions_app_postponerequest
               WHERE proposed_appointment_id = NEW.appointment_id AND status = 'PENDING'
                 AND session_id <> NEW.id) THEN
        RAISE EXCEPTION 'appointment % is held by a postpone request', NEW.appointment_id
            USING ERRCODE = '23P01';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER session_not_into_held_slot
    BEFORE INSERT OR UPDATE OF appointment_id, status ON sessions_app_session
    FOR EACH ROW EXECUTE FUNCTION sessions_app_session_not_into_held_slot();

CREATE OR REPLACE FUNCTION sessions_app_hold_only_free_slot() RETURNS trigger AS $$
BEGIN
    IF NEW.status <> 'PENDING' OR NEW.proposed_appointment_id IS NULL THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM sessions_app_appointment WHERE id = NEW.proposed_appointment_id FOR NO KEY UPDATE;
    IF EXISTS (SELECT 1 FROM sessions_app_session
               WHERE appointment_id = NEW.proposed_appointment_id AND status <> 'CANCELLED') THEN
        RAISE EXCEPTION 'appointment % is booked', NEW.proposed_appointment_id USING ERRCODE = '23P01';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER hold_only_free_slot
    BEFORE INSERT OR UPDATE OF status, proposed_appointment_id ON sessions_app_postponerequest
    FOR EACH ROW EXECUTE FUNCTION sessions_app_hold_only_free_slot();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS hold_only_free_slot ON sessions_app_postponerequest;
DROP FUNCTION IF EXISTS sessions_app_hold_only_free_slot();
DROP TRIGGER IF EXISTS session_not_into_held_slot ON sessions_app_session;
DROP FUNCTION IF EXISTS sessions_app_session_not_into_held_slot();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0005_session_policies")]

    operations = [migrations.RunPython(forward, backward)]
