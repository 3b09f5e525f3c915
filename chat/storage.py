"""The one place that knows where chat media live and how they are handed out.

Files go through Django's storage API (``STORAGES["default"]``): S3 through django-storages in
production, the local file system otherwise. Links are time-limited either way: S3 presigned
URLs, or a URL signed with ``django.core.signing`` that this project serves itself.
"""

from __future__ import annotations

import time
import uuid

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.urls import reverse

from chat.media import DISPLAYABLE
from config.storage import is_s3

_SALT = "chat.media.download"


class BadMediaToken(Exception):
    pass


def media_storage() -> Storage:
    return default_storage


def media_name(*, session_id, extension: str) -> str:
    return f"chat/{session_id}/{uuid.uuid4().hex}.{extension}"


def media_save(*, session_id, extension: str, content: File, content_type: str) -> str:
    """Store ``content`` under a server-made name; returns the name the storage chose."""
    content.content_type = content_type  # django-storages sends it as the object's Content-Type
    return media_storage().save(media_name(session_id=session_id, extension=extension), content)


def media_delete(name: str) -> None:
    if name:
        media_storage().delete(name)


def media_disposition(content_type: str) -> str:
    return "inline" if content_type in DISPLAYABLE else "attachment"


def media_url(*, message, ttl: int | None = None) -> str:
    """A time-limited URL of ``message``'s file: absolute for S3, a path on this server otherwise."""
    ttl = settings.CHAT_MEDIA_URL_TTL_SECONDS if ttl is None else ttl
    storage = media_storage()
    if is_s3(storage):
        parameters = {"ResponseContentType": message.media_content_type}
        if media_disposition(message.media_content_type) == "attachment":
            parameters["ResponseContentDisposition"] = "attachment"
        return storage.url(message.media.name, parameters=parameters, expire=max(1, ttl))
    # The expiry is fixed in the signed payload when the link is made: a later change of the TTL
    # setting neither extends nor shortens links already handed out.
    token = signing.dumps({"m": str(message.pk), "exp": int(time.time()) + ttl}, salt=_SALT, compress=False)
    return reverse("chat-media-download", kwargs={"token": token})


def media_token_message_id(token: str) -> str:
    """The message id of a signed download token; raises :class:`BadMediaToken` if forged or expired."""
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise BadMediaToken("This media link is not valid.")
    if not isinstance(payload, dict) or "m" not in payload or "exp" not in payload:
        raise BadMediaToken("This media link is not valid.")
    if int(payload["exp"]) < time.time():
        raise BadMediaToken("This media link has expired.")
    return payload["m"]
