"""The session domain's errors, each with its stable SPEC code."""

from __future__ import annotations

from config.api.errors import ConflictError, InvalidState, ValidationFailed


class SlotUnavailable(ConflictError):
    code = "slot_unavailable"
    default_message = "This time is no longer available."


class CoachUnavailable(ConflictError):
    code = "coach_unavailable"
    default_message = "The coach is not available right now."


class OutsideJoinWindow(ConflictError):
    code = "outside_join_window"
    default_message = "The session cannot be joined at this time."


class SessionEnded(ConflictError):
    code = "session_ended"
    default_message = "The session has ended."


class ReportNotAvailable(ConflictError):
    code = "report_not_available"
    default_message = "The report is available once the session is completed."


class BookingLimitReached(ConflictError):
    code = "booking_limit_reached"
    default_message = "The coach has no more sessions free that day."


class BookingTooFarAhead(ValidationFailed):
    code = "booking_too_far_ahead"
    default_message = "This slot is too far ahead to be booked."


class BookingTooLate(ValidationFailed):
    code = "booking_too_late"
    default_message = "This slot starts too soon to be booked."


class FreeSessionsDisabled(ValidationFailed):
    code = "free_sessions_disabled"
    default_message = "Free sessions are disabled."


class DurationExceedsAppointment(ValidationFailed):
    code = "duration_exceeds_appointment"
    default_message = "The session cannot be longer than the appointment."


__all__ = [
    "InvalidState",
    "SlotUnavailable",
    "CoachUnavailable",
    "OutsideJoinWindow",
    "SessionEnded",
    "ReportNotAvailable",
    "BookingLimitReached",
    "BookingTooFarAhead",
    "BookingTooLate",
    "FreeSessionsDisabled",
    "DurationExceedsAppointment",
]
