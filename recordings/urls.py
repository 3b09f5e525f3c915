from django.urls import re_path

from config.api.routing import api_path
from recordings import apis

urlpatterns = [
    api_path("sessions/<session_id>/recordings", apis.RecordingListApi.as_view(), "recording-list"),
    api_path("sessions/<session_id>/recordings/stop", apis.RecordingStopApi.as_view(), "recording-stop"),
    api_path(
        "sessions/<session_id>/recordings/<recording_id>/stream", apis.RecordingStreamApi.as_view(), "recording-stream"
    ),
    api_path("webhooks/agora", apis.AgoraWebhookApi.as_view(), "agora-webhook"),
    re_path(
        r"^recordings/files/(?P<token>[A-Za-z0-9_\-:.]+)/?$", apis.RecordingFileApi.as_view(), name="recording-file"
    ),
]
