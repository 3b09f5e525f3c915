"""How the API shows a session: the rules every rendering shares, and plain-row renderings for the
two reads clients poll (``GET sessions``, ``GET sessions/{id}/status``).

``SessionSerializer`` renders model instances and stays the definition of the answer (and of the
OpenAPI document). Profiling ``GET sessions?page_size=20`` (``scripts/profile_hot_paths.py``) put
most of its cost in building 60 model instances from three tables' columns and in DRF's per-field
machinery; these renderings read ``values()`` rows of just the columns the answer shows and write
the same document: same keys in the same order, same strings for datetimes, decimals and ids.
``tests/sessions_app/test_answer_bytes.py`` pins the bytes, ``test_renderings.py`` compares both
renderings for sessions in every state.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Context, Decimal

from django.utils import timezone

from sessions_app.models import Session

# The columns of a session in a list: every field of the answer, the participants' names by join.
LIST_COLUMNS = (
    "id", "number", "type", "status", "coach_id", "coach__first_name", "coach__last_name", "customer_id",
    "customer__first_name", "customer__last_name", "appointment_id", "scheduled_start", "scheduled_end",
    "duration_minutes", "price", "currency", "topic", "started_at", "ended_at", "end_requested_by_id",
    "cancelled_at", "cancelled_by_id", "cancel_reason", "free_cancel_until", "late_cancellation",
    "attendance_coach", "attendance_customer", "outcome", "confirmed_at", "created_at",
)  # fmt: skip
STATUS_COLUMNS = ("status", "started_at", "ended_at", "scheduled_end", "duration_minutes", "end_requested_by_id")

_PRICE = Session._meta.get_field("price")
_PRICE_EXPONENT = Decimal(".1") ** _PRICE.decimal_places
_PRICE_CONTEXT = Context(prec=_PRICE.max_digits)


class SessionRow:
    """A session read with ``values()``: the model's own rules (number, join window, end) on a dict."""

    Type, Status = Session.Type, Session.Status
    ACTIVE_STATUSES, FINAL_STATUSES = Session.ACTIVE_STATUSES, Session.FINAL_STATUSES
    display_number = Session.display_number
    is_active = Session.is_active
    is_final = Session.is_final
    join_opens_at = Session.join_opens_at
    join_closes_at = Session.join_closes_at
    join_window_open = Session.join_window_open
    hard_end = Session.hard_end

    def __init__(self, row: dict) -> None:
        self.__dict__ = row


# --- the rules every rendering shares --------------------------------------------------------------


def can_start(session, now: datetime) -> bool:
    if session.status == Session.Status.PENDING:
        return session.join_window_open(now)
    return session.is_active and now < session.hard_end


def attendance(session) -> dict | None:
    if not session.attendance_coach:
        return None
    return {"coach": session.attendance_coach, "customer": session.attendance_customer}


def session_timing(session, now: datetime) -> dict:
    """Seconds since the call started and until the session's scheduled end (never negative)."""
    elapsed = int((now - session.started_at).total_seconds()) if session.started_at else 0
    if session.ended_at and session.started_at:
        elapsed = int((session.ended_at - session.started_at).total_seconds())
    if session.is_final:
        remaining = 0
    elif session.status == Session.Status.PENDING:
        # Not started: the whole duration is ahead (less if it starts late, near its end).
        remaining = max(0, min(session.duration_minutes * 60, int((session.scheduled_end - now).total_seconds())))
    else:
        remaining = max(0, int((session.scheduled_end - now).total_seconds()))
    return {
        "elapsed_seconds": max(0, elapsed),
        "remaining_seconds": remaining,
        "duration_seconds": session.duration_minutes * 60,
    }


# --- plain rows, written as DRF's fields write them ----------------------------------------------


def _iso(value: datetime | None, tz) -> str | None:
    """``serializers.DateTimeField().to_representation``: the current zone, ISO 8601, ``Z`` for UTC."""
    if not value:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _uuid(value) -> str | None:
    return None if value is None else str(value)


def _price(value: Decimal) -> str:
    """``serializers.DecimalField`` of the model's digits, as a string (``COERCE_DECIMAL_TO_STRING``)."""
    return f"{value.quantize(_PRICE_EXPONENT, context=_PRICE_CONTEXT):f}"


def session_list_rows(rows, *, now: datetime) -> list[dict]:
    """``SessionSerializer(many=True).data`` of ``values(*LIST_COLUMNS)`` rows."""
    tz = timezone.get_current_timezone()
    out = []
    for values in rows:
        s = SessionRow(values)
        out.append(
            {
                "id": str(s.id),
                "number": s.display_number,
                "type": s.type,
                "status": s.status,
                "coach": {"id": str(s.coach_id), "first_name": s.coach__first_name, "last_name": s.coach__last_name},
                "customer": {
                    "id": str(s.customer_id),
                    "first_name": s.customer__first_name,
                    "last_name": s.customer__last_name,
                },
                "appointment_id": _uuid(s.appointment_id),
                "scheduled_start": _iso(s.scheduled_start, tz),
                "scheduled_end": _iso(s.scheduled_end, tz),
                "duration_minutes": s.duration_minutes,
                "price": _price(s.price),
                "currency": s.currency,
                "topic": s.topic,
                "started_at": _iso(s.started_at, tz),
                "ended_at": _iso(s.ended_at, tz),
                "end_requested_by": _uuid(s.end_requested_by_id),
                "cancelled_at": _iso(s.cancelled_at, tz),
                "cancelled_by": _uuid(s.cancelled_by_id),
                "cancel_reason": s.cancel_reason,
                "can_cancel": s.status == Session.Status.PENDING,
                "can_start": can_start(s, now),
                "can_chat": s.is_active,
                "join_opens_at": _iso(s.join_opens_at, tz),
                "join_closes_at": _iso(s.join_closes_at, tz),
                "free_cancel_until": _iso(s.free_cancel_until, tz),
                "late_cancellation": bool(s.late_cancellation),
                "attendance": attendance(s),
                "outcome": s.outcome or None,
                "confirmed_at": _iso(s.confirmed_at, tz),
                "created_at": _iso(s.created_at, tz),
            }
        )
    return out


def session_status_row(values: dict, *, now: datetime) -> dict:
    """``SessionStatusSerializer(...).data`` of a ``values(*STATUS_COLUMNS)`` row."""
    s = SessionRow(values)
    return {
        "status": s.status,
        **session_timing(s, now),
        "end_requested_by": _uuid(s.end_requested_by_id),
        "scheduled_end": _iso(s.scheduled_end, timezone.get_current_timezone()),
    }
