"""Outbox events written by hand, as a service writes them (SPEC 7 payload, the session as the API
renders it), for tests of a consumer without the change that would emit it."""

from __future__ import annotations

from django.db import transaction

from events.services import event_emit
from sessions_app.models import Session
from sessions_app.serializers import SessionSerializer


def session_payload(session: Session) -> dict:
    session = Session.objects.select_related("coach", "customer").get(pk=session.pk)
    return dict(SessionSerializer(session).data)


def emit(type_: str, session: Session, *, actor=None, previous: dict | None = None):
    """Write ``type_`` for ``session`` as SPEC 7 shapes it; its consumers run after the commit."""
    actor_data = None if actor is None else {"id": str(actor.pk), "role": actor.role}
    data = {"session": session_payload(session), "actor": actor_data, "previous": previous or {}}
    with transaction.atomic():
        return event_emit(type=type_, data=data, session_id=session.pk)
