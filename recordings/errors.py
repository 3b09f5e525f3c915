"""The recordings domain's errors, each with its stable SPEC code."""

from __future__ import annotations

from config.api.errors import ApplicationError, ConflictError, GoneError, ServiceUnavailableError


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


class InvalidRecordingState(ConflictError):
    code = "invalid_state"
    default_message = "This is not possible in the recording's current state."


__all__ = [
    "ApplicationError",
    "AlreadyRecording",
    "RecordingNotReady",
    "RecordingExpired",
    "RecordingUnavailable",
    "InvalidRecordingState",
]
