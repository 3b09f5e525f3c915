"""Per-session media encryption (SPEC 9): one AES-128-GCM2 key and salt per session.

Made once, at the first ``start-call``, while the caller holds the session's row lock: both
participants (and every reconnect) read the same row, so they always get the same key and salt.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from config.crypto import decrypt_text, encrypt_text
from sessions_app.models import Session, SessionMediaKey


@dataclass(frozen=True)
class MediaEncryption:
    mode: str
    # repr=False: a dataclass repr in a traceback or a log line must not print the secret.
    key: str = field(repr=False)
    salt: str = field(repr=False)

    def as_dict(self) -> dict[str, str]:
        return {"mode": self.mode, "key": self.key, "salt": self.salt}


def _new_key() -> str:
    return secrets.token_bytes(32).hex()  # 64 hex characters, as Agora's samples make it


def _new_salt() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _decode(row: SessionMediaKey) -> MediaEncryption:
    return MediaEncryption(mode=row.mode, key=decrypt_text(row.key_encrypted), salt=decrypt_text(row.salt_encrypted))


def session_media_encryption(*, session: Session) -> MediaEncryption:
    """The session's key and salt, made now if it has none. Call it under the session's row lock."""
    row = SessionMediaKey.objects.filter(session=session).first()
    if row is None:
        try:
            with transaction.atomic():
                row = SessionMediaKey.objects.create(
                    session=session, key_encrypted=encrypt_text(_new_key()), salt_encrypted=encrypt_text(_new_salt())
                )
        except IntegrityError:  # made by a caller that did not hold the lock (never the API's path)
            row = SessionMediaKey.objects.get(session=session)
    return _decode(row)


def session_media_encryption_get(*, session: Session) -> MediaEncryption | None:
    """The session's key and salt if it has them (sessions started before encryption have none)."""
    row = SessionMediaKey.objects.filter(session=session).first()
    return _decode(row) if row else None
