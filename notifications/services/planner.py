"""The outbox consumer "notifications": each event of interest becomes notifications (SPEC 8).

Runs inside the transaction that writes the consumer's receipt (events.services.event_dispatch),
so what it writes commits exactly once per event; it never calls the network itself (deliveries
are enqueued after commit). Texts come from the event's payload, which is the session as the API
rendered it at the change; reminder planning reads the session row, so events handled late or out
of order still leave the plan that matches the session as it is now.
"""

from __future__ import annotations

import logging

from django.conf import settings

from accounts.models import User
from notifications.kinds import Kind
from notifications.services.audience import audience, participants, present, session_notify
from notifications.services.create import notifications_create
from notifications.services.policies import PROBLEM_TYPES, on_postpone_event, on_problem_event
from notifications.services.reminders import reminders_drop, reminders_sync
from notifications.services.rendering import SessionFacts, session_context
from sessions_app.models import Session

logger = logging.getLogger(__name__)


def _on_session_event(event) -> None:
    data = event.data or {}
    if "session" not in data:
        return
    facts = SessionFacts.from_payload(data["session"], data.get("previous"))
    actor = data.get("actor")
    # One query: the session still exists, and its participants for every recipient list below.
    session = Session.objects.select_related("coach", "customer").filter(pk=facts.id).first()
    if session is None:
        return
    facts.people = (session.coach, session.customer)
    if event.type == "session.booked":
        coach, customer = participants(facts)
        if facts.type == Session.Type.INSTANT:
            session_notify(event, Kind.INSTANT_SESSION_REQUESTED, present(coach), facts)
            session_notify(event, Kind.SESSION_BOOKED, present(customer), facts)
        else:
            session_notify(event, Kind.SESSION_BOOKED, present(coach, customer), facts)
        # "None that would already be past at booking": the booking's time, not the relay's.
        reminders_sync(session_id=facts.id, now=event.created_at)
    elif event.type == "session.rescheduled":
        # An accepted postpone request moves the session too: the coach hears "accepted" (its own
        # kind), the customer made the move; the plan is moved the same way either way.
        if "postpone_request" not in data:
            session_notify(event, Kind.SESSION_RESCHEDULED, audience(facts, actor), facts)
        reminders_sync(session_id=facts.id)
    elif event.type == "session.cancelled":
        session_notify(event, Kind.SESSION_CANCELLED, audience(facts, actor), facts)
        reminders_drop(session_id=facts.id)
    elif event.type == "session.started":
        reminders_drop(session_id=facts.id)
    elif event.type == "session.end_requested":
        session_notify(event, Kind.END_REQUESTED, audience(facts, actor), facts)
    elif event.type == "session.completed":
        coach, customer = participants(facts)
        session_notify(event, Kind.SESSION_COMPLETED, present(coach, customer), facts)
        reminders_drop(session_id=facts.id)
    elif event.type.startswith("session.postpone"):
        on_postpone_event(event, facts, actor)
        # A postpone that moved the session changes its time: keep the plan in step.
        reminders_sync(session_id=facts.id)
    elif event.type in PROBLEM_TYPES:
        on_problem_event(event, facts, actor)


def _session_facts(session_id) -> SessionFacts | None:
    session = Session.objects.select_related("coach", "customer").filter(pk=session_id).first()
    return SessionFacts.from_model(session) if session else None


def _on_recording_available(event) -> None:
    data = event.data or {}
    facts = _session_facts(data.get("session_id"))
    if facts is None:
        return
    coach, customer = participants(facts)
    recording = data.get("recording") or {}
    notifications_create(
        kind=Kind.RECORDING_AVAILABLE,
        recipients=present(coach, customer),
        context_for=lambda user: session_context(facts, user, recording=recording),
        data={"session_id": facts.id, "recording_id": str(recording.get("id") or "")},
        session_id=facts.id,
        event_id=event.pk,
        now=event.created_at,
    )


def _on_rating_published(event) -> None:
    data = event.data or {}
    rating = data.get("rating") or {}
    facts = _session_facts(rating.get("session_id"))
    if facts is None:
        return
    coach, customer = participants(facts)
    # The rated person: a customer's rating is about the coach, a coach's about the customer.
    ratee = coach if rating.get("rater_role") == "customer" else customer
    if ratee is None:
        return
    notifications_create(
        kind=Kind.RATING_PUBLISHED,
        recipients=[ratee],
        context_for=lambda user: session_context(facts, user, overall=rating.get("overall")),
        data={"session_id": facts.id, "rating_id": str(rating.get("id") or "")},
        session_id=facts.id,
        event_id=event.pk,
        now=event.created_at,
    )


def _on_coach_verified(event) -> None:
    coach = User.objects.filter(pk=(event.data or {}).get("coach_id"), role=User.Role.COACH).first()
    if coach is None:
        return
    notifications_create(
        kind=Kind.COACH_VERIFIED,
        recipients=[coach],
        context_for=lambda user: {"action_url": f"{settings.FRONTEND_URL}/coach/profile"},
        data={"coach_id": str(coach.pk)},
        event_id=event.pk,
        now=event.created_at,
    )


def plan_from_event(event) -> None:
    if not settings.NOTIFICATIONS_ENABLED:
        return
    if event.type.startswith("session."):
        _on_session_event(event)
    elif event.type == "recording.available":
        _on_recording_available(event)
    elif event.type == "rating.published":
        _on_rating_published(event)
    elif event.type == "coach.verified":
        _on_coach_verified(event)
