"""Who hears of a session's event, and the one call that tells them (the planner's and the policies')."""

from __future__ import annotations

from accounts.models import User
from notifications.services.create import notifications_create
from notifications.services.rendering import SessionFacts, session_context


def users_by_id(*ids) -> dict:
    return {user.pk: user for user in User.objects.filter(pk__in=[i for i in ids if i])}


def participants(facts: SessionFacts) -> tuple[User | None, User | None]:
    """``(coach, customer)`` of the session, in one query (none when the caller loaded them);
    ``None`` for an account that is gone."""
    if facts.people is None:
        users = {str(pk): user for pk, user in users_by_id(facts.coach_id, facts.customer_id).items()}
        facts.people = (users.get(facts.coach_id), users.get(facts.customer_id))
    return facts.people


def present(*users) -> list[User]:
    return [user for user in users if user is not None]


def audience(facts: SessionFacts, actor: dict | None) -> list[User]:
    """The other participant of the one who acted; both when staff or the system acted."""
    coach, customer = participants(facts)
    actor_id = str((actor or {}).get("id") or "")
    if actor_id == facts.coach_id:
        return present(customer)
    if actor_id == facts.customer_id:
        return present(coach)
    return present(coach, customer)


def session_notify(event, kind: str, recipients, facts: SessionFacts, *, data: dict | None = None, **extra) -> None:
    """``kind`` for each of ``recipients``, rendered from ``facts`` (and ``extra``) in their own language;
    ``data`` adds ids to the session's (``postpone_request_id``, ``problem_id``)."""
    notifications_create(
        kind=kind,
        recipients=recipients,
        context_for=lambda user: session_context(facts, user, **extra),
        data={"session_id": facts.id, **(data or {})},
        session_id=facts.id,
        event_id=event.pk,
        now=event.created_at,
    )
