"""Domain signals of the session lifecycle.

Sent by ``sessions_app.services`` after the transaction that made the change commits, with
``session=<Session>`` (fresh from the database) and ``actor=<User | None>``. Other apps react
here (chat pushes ``session.updated``, recordings stop, ...) instead of the lifecycle calling them.
"""

from __future__ import annotations

from django.dispatch import Signal

session_started = Signal()
session_completed = Signal()
session_cancelled = Signal()
# Every change a participant's screen should show: status, end request, reschedule, topic.
session_updated = Signal()
