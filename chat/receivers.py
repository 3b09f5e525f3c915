"""Receivers of the session lifecycle's domain signals (connected in ``ChatConfig.ready``)."""

from __future__ import annotations

from chat import broadcast
from sessions_app.signals import session_updated


def on_session_updated(sender, *, session, **kwargs) -> None:
    """Every change a participant's screen should show goes out as ``session.updated``."""
    broadcast.session_updated(session=session)


def connect() -> None:
    session_updated.connect(on_session_updated, dispatch_uid="chat.session_updated")
