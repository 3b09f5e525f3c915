"""The chat's errors, each with its stable SPEC code."""

from __future__ import annotations

from config.api.errors import ApplicationError, ConflictError


class ChatClosed(ConflictError):
    code = "chat_closed"
    default_message = "Messages can only be sent while the session is in progress."


class FileTooLarge(ApplicationError):
    code = "file_too_large"
    status_code = 413
    default_message = "The file is too large."


class UnsupportedMediaType(ApplicationError):
    code = "unsupported_media_type"
    status_code = 415
    default_message = "Only JPEG, PNG, WebP and GIF images and MP4, QuickTime and WebM videos can be sent."


class Throttled(ApplicationError):
    code = "throttled"
    status_code = 429
    default_message = "Too many messages. Slow down."

    def __init__(self, message: str | None = None, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


__all__ = ["ChatClosed", "FileTooLarge", "UnsupportedMediaType", "Throttled"]
