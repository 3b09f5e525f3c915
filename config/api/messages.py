"""Every error code's message in words, through gettext (English and Arabic, SPEC 8).

A message a service raised with its own text is translated when the catalog knows that text; one
built at run time (with a time or a number in it) is not, and then the answer speaks the code's
message below in the request's language. Codes never change with the language.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.api.errors import ApplicationError

CODE_MESSAGES = {
    "validation_error": _("The request is not valid."),
    "free_sessions_disabled": _("Free sessions are disabled."),
    "booking_too_late": _("This slot starts too soon to be booked."),
    "booking_too_far_ahead": _("This slot is too far ahead to be booked."),
    "booking_limit_reached": _("The coach has no more sessions free that day."),
    "duration_exceeds_appointment": _("The session cannot be longer than the appointment."),
    "not_authenticated": _("Authentication credentials were not provided or are not valid."),
    "invalid_credentials": _("E-mail or password is wrong."),
    "permission_denied": _("You do not have permission to do this."),
    "not_found": _("Not found."),
    "method_not_allowed": _("This method is not allowed here."),
    "not_acceptable": _("The requested format is not available."),
    "invalid_state": _("This is not possible in the current state."),
    "slot_unavailable": _("This time is no longer available."),
    "coach_unavailable": _("The coach is not available right now."),
    "outside_join_window": _("The session cannot be joined at this time."),
    "session_ended": _("The session has ended."),
    "chat_closed": _("The chat is closed."),
    "already_recording": _("The session is already being recorded."),
    "recording_not_ready": _("The recording is not ready yet."),
    "already_rated": _("You have already rated this session."),
    "report_not_available": _("The report is available once the session is completed."),
    "idempotency_conflict": _("This Idempotency-Key was used for a different request."),
    "recording_expired": _("This recording has expired."),
    "gone": _("This resource is no longer available."),
    "file_too_large": _("The file is too large."),
    "unsupported_media_type": _("This type of file is not supported."),
    "throttled": _("Too many requests. Try again later."),
    "recording_unavailable": _("Recording is not available."),
    "service_unavailable": _("A service this request needs is not configured."),
    "dependency_unavailable": _("A service this request needs is down. Try again later."),
    "server_error": _("Something went wrong on our side."),
    "error": _("The request failed."),
}


def translated(text: str) -> str | None:
    """``text`` in the active language, or ``None`` when the catalog does not know it."""
    result = gettext(text)
    if result != text or translation.get_language() in (None, "en") or not text:
        return result
    return None


def code_message(code: str) -> str:
    return str(CODE_MESSAGES.get(code, CODE_MESSAGES["error"]))


def error_message(exc: ApplicationError) -> str:
    """The message of a domain error in the active language."""
    specific = translated(exc.message)
    if specific is not None:
        return specific
    if exc.code == type(exc).code:
        default = translated(type(exc).default_message)
        if default is not None:
            return default
    return code_message(exc.code)
