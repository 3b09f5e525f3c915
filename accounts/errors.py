"""The accounts domain's errors, each with its stable SPEC code."""

from __future__ import annotations

from config.api.errors import ApplicationError


class InvalidCredentials(ApplicationError):
    code = "invalid_credentials"
    status_code = 401
    default_message = "E-mail or password is wrong."


class LoginThrottled(ApplicationError):
    code = "throttled"
    status_code = 429
    default_message = "Too many failed logins. Try again later."

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed logins. Try again in {retry_after} seconds.")
        self.retry_after = retry_after
