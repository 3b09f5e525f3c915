"""Writes of the recordings domain, one module per job; the names the rest of the code uses are here.

- ``lifecycle``: start and stop through Agora Cloud Recording, the auto-stop when a session ends
- ``files``: registering MP4s from Agora's file lists or the bucket, the upload sweep
- ``streaming``: time-limited stream links and the file behind a local signed link
- ``webhooks``: Agora notifications (parsed by ``integrations.agora.notifications``) stored once and applied
- ``retention``: expiry of recordings past their window, extending a window
- ``imports``: attaching an MP4 by hand
- ``_common``: the clock, the recordings storage, the move to ``FAILED``
"""

from __future__ import annotations

from recordings.services._common import recordings_storage
from recordings.services.files import UploadSweepResult, recordings_sweep_processing
from recordings.services.imports import mp4_probe, recording_import
from recordings.services.lifecycle import (
    AutoStopResult,
    recording_configured,
    recording_start,
    recording_stop,
    recordings_stop_for_session,
    recordings_stop_orphaned,
)
from recordings.services.retention import (
    ExpiryResult,
    recording_expire,
    recording_extend_retention,
    recordings_due_for_expiry,
    recordings_expire_due,
)
from recordings.services.streaming import (
    FILE_URL_SALT,
    MP4_CONTENT_TYPE,
    StreamLink,
    recording_file_for_token,
    recording_stream_link,
)
from recordings.services.webhooks import (
    webhook_event_is_fresh,
    webhook_event_process,
    webhook_event_receive,
    webhook_event_store,
    webhook_events_process_pending,
)

__all__ = [
    "FILE_URL_SALT",
    "MP4_CONTENT_TYPE",
    "AutoStopResult",
    "ExpiryResult",
    "StreamLink",
    "UploadSweepResult",
    "mp4_probe",
    "recording_configured",
    "recording_expire",
    "recording_extend_retention",
    "recording_file_for_token",
    "recording_import",
    "recording_start",
    "recording_stop",
    "recording_stream_link",
    "recordings_due_for_expiry",
    "recordings_expire_due",
    "recordings_stop_for_session",
    "recordings_stop_orphaned",
    "recordings_storage",
    "recordings_sweep_processing",
    "webhook_event_is_fresh",
    "webhook_event_process",
    "webhook_event_receive",
    "webhook_event_store",
    "webhook_events_process_pending",
]
