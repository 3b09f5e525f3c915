"""What ``start-call`` and a token renewal hand a participant: a value object, built by the
lifecycle services and rendered by the serializers (which therefore need no services)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sessions_app.models import Session
from sessions_app.services.encryption import MediaEncryption


@dataclass
class CallCredentials:
    session: Session
    app_id: str
    channel_name: str
    uid: int
    token: str
    expires_at: datetime
    encryption: MediaEncryption | None = None
