"""Idempotent booking: one answer per (user, key)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from accounts.models import User
from config.api.errors import ValidationFailed
from sessions_app.errors import (
    IdempotencyConflict,
)
from sessions_app.models import IdempotencyKey


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Replay:
    status: int
    body: dict


def idempotent(*, user: User, key: str, fingerprint: str, perform: Callable[[], tuple[int, dict]]) -> Replay:
    """Run ``perform`` once per (user, key); repeats replay the stored answer.

    The key row is claimed before the work: a concurrent repeat finds it and is told to retry
    (409 ``idempotency_conflict``) instead of booking twice. A failed attempt releases the key,
    so the client may retry it with the same key.
    """
    if len(key) > 255 or not key.strip():
        raise ValidationFailed(fields={"Idempotency-Key": ["Use 1 to 255 characters."]})
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint)
    except IntegrityError:
        record = IdempotencyKey.objects.filter(user=user, key=key).first()
        if record is None:  # released between our insert and this read: treat as in flight
            raise IdempotencyConflict("A request with this Idempotency-Key is in progress; retry.") from None
        if record.fingerprint != fingerprint:
            raise IdempotencyConflict() from None
        if record.response_status is None:
            raise IdempotencyConflict("A request with this Idempotency-Key is in progress; retry.") from None
        return Replay(status=record.response_status, body=record.response_body)
    try:
        status, body = perform()
    except BaseException:
        IdempotencyKey.objects.filter(pk=record.pk).delete()
        raise
    IdempotencyKey.objects.filter(pk=record.pk).update(response_status=status, response_body=body)
    return Replay(status=status, body=body)
