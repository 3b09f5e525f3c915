"""The recordings' parts of the session core's answers (see ``sessions_app/registry.py``): the
recordings in the report (with ``available_until``) and on the session's admin page."""

from __future__ import annotations

from rest_framework import serializers

from recordings.admin import RecordingInline
from recordings.selectors import recording_list
from recordings.serializers import RecordingSerializer
from sessions_app import registry

report_recordings = registry.Part(
    select=lambda session: recording_list(session=session),
    render=lambda recordings, request: {"recordings": list(RecordingSerializer(recordings, many=True).data)},
    schema=lambda: {"recordings": serializers.ListField(child=serializers.DictField())},
)


def register() -> None:
    registry.register_part(registry.REPORT, report_recordings)
    registry.register_session_inline(RecordingInline)
