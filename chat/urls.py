from django.urls import re_path

from chat import apis
from config.api.routing import api_path

urlpatterns = [
    api_path("sessions/<session_id>/messages", apis.MessageListApi.as_view(), "chat-messages"),
    api_path("sessions/<session_id>/messages/<message_id>/media", apis.MessageMediaApi.as_view(), "chat-message-media"),
    # Signed, time-limited download links of the local storage (see chat/storage.py).
    re_path(r"^chat/media/(?P<token>[A-Za-z0-9_\-:]+)/?$", apis.MediaDownloadApi.as_view(), name="chat-media-download"),
]
