"""Writes of the session domain, one module per job; the names the rest of the code uses are here.

- ``appointments``: coaches' slots
- ``booking``: scheduled and instant booking, moving a booking, the topic
- ``lifecycle``: start, end, decline, complete, cancel, the periodic job, token renewal
- ``encryption``: the per-session media key and salt
- ``reports``: participants' logs and report parts
- ``_common``: the clock, :func:`log_action`, the conditional :func:`transition`, the locks
"""

from sessions_app.services._common import NO_SHOW, iso, log_action, send_after_commit, session_price
from sessions_app.services.appointments import appointment_create, appointment_delete
from sessions_app.services.booking import (
    session_book_instant,
    session_book_scheduled,
    session_reschedule,
    session_update_topic,
)
from sessions_app.services.encryption import (
    MediaEncryption,
    session_media_encryption,
    session_media_encryption_get,
)
from sessions_app.services.lifecycle import (
    CallCredentials,
    StaleResult,
    session_cancel,
    session_complete,
    session_decline_end,
    session_renew_token,
    session_request_end,
    session_start_call,
    sessions_close_stale,
)
from sessions_app.services.reports import session_log_add, session_report_update

__all__ = [
    "NO_SHOW",
    "CallCredentials",
    "MediaEncryption",
    "StaleResult",
    "appointment_create",
    "appointment_delete",
    "iso",
    "log_action",
    "send_after_commit",
    "session_book_instant",
    "session_book_scheduled",
    "session_cancel",
    "session_complete",
    "session_decline_end",
    "session_log_add",
    "session_price",
    "session_report_update",
    "session_request_end",
    "session_media_encryption",
    "session_media_encryption_get",
    "session_renew_token",
    "session_reschedule",
    "session_start_call",
    "session_update_topic",
    "sessions_close_stale",
]
