"""Standard Webhooks signatures (https://www.standardwebhooks.com), through the ``standardwebhooks``
package: ``v1,`` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), the key being the bytes of
the base64 after ``whsec_``."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(*, secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """One ``v1,<base64>`` signature of ``body`` (the exact text sent) at ``timestamp`` (unix seconds)."""
    return Webhook(secret).sign(msg_id=msg_id, timestamp=datetime.fromtimestamp(timestamp, UTC), data=body)


def headers(*, keys: list[str], msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers. Several secrets (during a rotation) give several
    space-separated signatures; a receiver accepts the message if any of them checks out."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret=s, msg_id=msg_id, timestamp=timestamp, body=body) for s in keys),
    }
