"""Agora RTC tokens (the only place that knows how they are built)."""

from __future__ import annotations

import secrets
from datetime import datetime

from agora_token_builder import RtcTokenBuilder
from agora_token_builder.RtcTokenBuilder import Role_Publisher
from django.conf import settings


def new_channel_name() -> str:
    # 128 random bits: unguessable; 37 characters from Agora's allowed set.
    return "s_" + secrets.token_hex(16)


def new_uid(*, exclude: tuple[int, ...] = ()) -> int:
    """A random non-zero uid. Kept below 2**31 so clients that treat it as a signed int agree."""
    while True:
        uid = secrets.randbelow(2**31 - 1) + 1
        if uid not in exclude:
            return uid


def rtc_token(*, channel_name: str, uid: int, expires_at: datetime) -> str:
    return RtcTokenBuilder.buildTokenWithUid(
        settings.AGORA_APP_ID,
        settings.AGORA_APP_CERTIFICATE,
        channel_name,
        uid,
        Role_Publisher,
        int(expires_at.timestamp()),
    )
