"""The rating domain's errors, each with its stable SPEC code."""

from __future__ import annotations

from config.api.errors import ConflictError, ValidationFailed


class AlreadyRated(ConflictError):
    code = "already_rated"
    default_message = "You have already rated this session."


class RatingInvalid(ValidationFailed):
    code = "validation_error"
    default_message = "The rating is not valid."
