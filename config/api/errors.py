"""The one domain error type of the project.

Services raise :class:`ApplicationError` subclasses; the API's exception handler turns them
into ``{"error": {"code", "message"}}`` with the error's HTTP status. Codes are stable: clients
switch on them. Every concrete error states its own ``code`` and ``status_code`` (the OpenAPI helper
``config.api.schema.errors`` reads them from here); the base has none to fall back on.
"""

from __future__ import annotations


class ApplicationError(Exception):
    code: str
    status_code: int
    default_message: str = ""

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        fields: dict | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.fields = fields
        if not (getattr(self, "code", None) and getattr(self, "status_code", None)):
            raise TypeError(f"{type(self).__name__} states no code or status_code")
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    code = "validation_error"
    status_code = 400
    default_message = "The request is not valid."


class PermissionDeniedError(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_message = "You do not have permission to do this."


class NotFoundError(ApplicationError):
    code = "not_found"
    status_code = 404
    default_message = "Not found."


class ConflictError(ApplicationError):
    """The family of 409s; each subclass names its code."""

    status_code = 409


class InvalidState(ConflictError):
    """The one "not possible in the current state" of every app."""

    code = "invalid_state"
    default_message = "This is not possible in the current state."


class IdempotencyConflict(ConflictError):
    code = "idempotency_conflict"
    default_message = "This Idempotency-Key was used for a different request."


class GoneError(ApplicationError):
    code = "gone"
    status_code = 410
    default_message = "This resource is no longer available."


class ServiceUnavailableError(ApplicationError):
    code = "service_unavailable"
    status_code = 503
    default_message = "A service this request needs is not configured."


class DependencyUnavailable(ApplicationError):
    """A service the request needs (database, cache, broker) is down: 503 rather than a 500."""

    code = "dependency_unavailable"
    status_code = 503
    default_message = "A service this request needs is unavailable right now. Try again shortly."
    retry_after = 5
