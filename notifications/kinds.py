"""The notification kinds of SPEC section 8, and what each may use.

One list, imported by the planner, the preferences, the templates test and the admin: a kind added
here without its templates or its Arabic text fails ``tests/notifications/test_translations.py``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SESSION_BOOKED = "session_booked", _("Session booked")
    SESSION_RESCHEDULED = "session_rescheduled", _("Session rescheduled")
    SESSION_CANCELLED = "session_cancelled", _("Session cancelled")
    SESSION_REMINDER = "session_reminder", _("Session reminder")
    SESSION_JOIN_OPEN = "session_join_open", _("Session open to join")
    INSTANT_SESSION_REQUESTED = "instant_session_requested", _("Instant session requested")
    END_REQUESTED = "end_requested", _("Request to end")
    SESSION_COMPLETED = "session_completed", _("Session completed")
    RATING_PUBLISHED = "rating_published", _("Rating published")
    RECORDING_AVAILABLE = "recording_available", _("Recording available")
    COACH_VERIFIED = "coach_verified", _("Coach verified")
    POSTPONE_REQUESTED = "postpone_requested", _("New time proposed")
    POSTPONE_ACCEPTED = "postpone_accepted", _("New time accepted")
    POSTPONE_DECLINED = "postpone_declined", _("New time declined")
    POSTPONE_WITHDRAWN = "postpone_withdrawn", _("New time withdrawn")
    POSTPONE_EXPIRED = "postpone_expired", _("New time not answered")
    PROBLEM_REPORTED = "problem_reported", _("Problem reported")
    PROBLEM_RESPONDED = "problem_responded", _("Problem report answered")
    PROBLEM_RESOLVED = "problem_resolved", _("Problem report decided")
    ACCOUNT_EMAIL = "account_email", _("Account e-mail")


# Account e-mails carry single-use links: e-mail only, never stored with their text in the inbox.
EMAIL_ONLY = frozenset({Kind.ACCOUNT_EMAIL})
# Always sent by e-mail, whatever the preferences say.
MANDATORY_EMAIL = frozenset({Kind.ACCOUNT_EMAIL})
# FCM high priority (Android "high", APNs 10): someone is waiting for the other person.
HIGH_PRIORITY = frozenset({Kind.INSTANT_SESSION_REQUESTED, Kind.SESSION_JOIN_OPEN})
# Rows planned ahead with a due_at, released by send_due_notifications.
PLANNED = frozenset({Kind.SESSION_REMINDER, Kind.SESSION_JOIN_OPEN})

# Defaults of GET me/notification-preferences: push for everything, e-mail for what matters away
# from the app (the instant call and the join window are only useful on the phone).
EMAIL_DEFAULT_OFF = frozenset({Kind.SESSION_JOIN_OPEN, Kind.INSTANT_SESSION_REQUESTED, Kind.END_REQUESTED})


def email_kinds() -> list[str]:
    return list(Kind.values)


def push_kinds() -> list[str]:
    return [k for k in Kind.values if k not in EMAIL_ONLY]
