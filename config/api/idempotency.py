"""``Idempotency-Key`` for POSTs that must not do their work twice (SPEC: ``POST sessions``).

An API concern, not a domain one: what is stored and replayed is the HTTP answer (status and body).
The key's table is ``sessions_app.IdempotencyKey``, where its migration history lives.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from config.api.errors import IdempotencyConflict, ValidationFailed
from sessions_app.models import IdempotencyKey

HEADER = "Idempotency-Key"


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class IdempotentMixin:
    # For a view: ``self.idempotent(request, payload=..., perform=...)`` runs ``perform`` once per
    # (user, key) and replays its answer to repeats; without the header it just runs it.
    # (Comments, not a docstring: drf-spectacular would show a docstring as the views' description.)
    #
    # The key row is claimed before the work: a concurrent repeat finds it and is told to retry
    # (409 ``idempotency_conflict``) instead of doing the work twice. A failed attempt releases the
    # key, so the client may retry with it. ``payload`` is the validated request: the same key with
    # a different one is 409 ``idempotency_conflict``.

    def idempotent(self, request, *, payload: dict, perform: Callable[[], Response]) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return perform()
        if len(key) > 255 or not key.strip():
            raise ValidationFailed(fields={HEADER: ["Use 1 to 255 characters."]})
        fingerprint = request_fingerprint(payload)
        user = request.user
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
            return self._replay(key, record.response_status, record.response_body)
        try:
            response = perform()
        except BaseException:
            IdempotencyKey.objects.filter(pk=record.pk).delete()
            raise
        IdempotencyKey.objects.filter(pk=record.pk).update(
            response_status=response.status_code, response_body=response.data
        )
        return self._replay(key, response.status_code, response.data)

    @staticmethod
    def _replay(key: str, status: int, body) -> Response:
        response = Response(body, status=status)
        response[HEADER] = key
        return response
