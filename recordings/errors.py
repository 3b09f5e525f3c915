"""The recordings domain's errors, each with its stable SPEC code.

A refused move of a recording is :class:`sessions_app.errors.InvalidState` (409 ``invalid_state``),
the one error for a state that does not allow the request.
"""

from __future__ import annotations

from config.api.errors import ApplicationError, ConflictError, GoneError, ServiceUnavailableError, ValidationFailed


class AlreadyRecording(ConflictError):
    code = "already_recording"
    default_message = "This session is already being recorded."


class RecordingNotReady(ConflictError):
    code = "recording_not_ready"
    default_message = "The recording is not available yet."


class RecordingExpired(GoneError):
    code = "recording_expired"
    default_message = "This recording has expired and its files were deleted."


class RecordingUnavailable(ServiceUnavailableError):
    code = "recording_unavailable"
    default_message = "Recording is not available: Agora cloud recording is not configured."


class AgoraUnreachable(RecordingUnavailable):
    """Agora could not be reached or answered 5xx/429 after the client's own retries: the same 503
    to a client, but a task may try again later (a refusal such as bad credentials it may not)."""


class WebhookSignatureInvalid(ApplicationError):
    code = "not_authenticated"
    status_code = 401
    default_message = "Missing or wrong Agora-Signature-V2."


class StaleWebhookEvent(ValidationFailed):
    """An Agora notification older than ``AGORA_WEBHOOK_MAX_AGE_HOURS`` (by its ``notifyMs``):
    refused, so a captured signed body cannot be replayed later."""


__all__ = [
    "AgoraUnreachable",
    "AlreadyRecording",
    "RecordingExpired",
    "RecordingNotReady",
    "RecordingUnavailable",
    "StaleWebhookEvent",
    "WebhookSignatureInvalid",
]
