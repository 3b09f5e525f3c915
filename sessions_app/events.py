"""The one door for session events in the outbox (SPEC section 7).

Every session service that makes a change client apps care about calls :func:`session_event_emit`
inside its transaction, after the change: the event carries the session as the API renders it,
who acted and what the changed fields held before.
"""

from __future__ import annotations

from datetime import datetime

from accounts.models import User
from events.models import Event
from events.services import event_emit, event_render, event_serialize, events_enabled
from sessions_app.models import Session
from sessions_app.serializers import SessionSerializer


def actor_ref(actor: User | None) -> dict | None:
    """``{"id", "role"}`` of who acted; ``None`` for the system (the periodic job)."""
    if actor is None:
        return None
    return {"id": str(actor.pk), "role": actor.role}


def _with_participants(session: Session) -> Session:
    # A transition reloads the row (refresh_from_db), which drops the cached coach and customer:
    # fetch both in one query rather than one each while rendering.
    cached = Session.coach.is_cached(session) and Session.customer.is_cached(session)
    if not cached:
        users = User.objects.in_bulk([session.coach_id, session.customer_id])
        session.coach = users[session.coach_id]
        session.customer = users[session.customer_id]
    return session


def session_event_emit(
    *,
    type: str,
    session: Session,
    actor: User | None,
    previous: dict | None = None,
    now: datetime | None = None,
    extra: dict | None = None,
) -> Event | None:
    """Write ``type`` for ``session`` in the caller's transaction: at most one read (the participants,
    when the caller's object lost them) and one insert. ``extra`` adds the policy events' own part
    (``postpone_request``, ``problem_report``): a serializer, rendered like the session, in UTC."""
    if not events_enabled():
        return None
    session = _with_participants(session)
    context = {"now": now} if now is not None else {}
    data = {
        # The serializer's fields are built once per thread, not per event (the profile's largest cost).
        "session": event_serialize(SessionSerializer, session, context=context),
        "actor": actor_ref(actor),
        "previous": event_render(previous or {}),
        **{key: event_render(value) for key, value in (extra or {}).items()},
    }
    return event_emit(type=type, data=data, session_id=session.pk, now=now)
