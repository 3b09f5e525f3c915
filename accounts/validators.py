"""Password rules beyond Django's own validators (settings.AUTH_PASSWORD_VALIDATORS lists them all)."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from config.api.errors import ValidationFailed


def password_policy_check(password: str, *, user, field: str = "password") -> None:
    """Every validator of settings.AUTH_PASSWORD_VALIDATORS, as the API's 400 on ``field``: the one
    check wherever a password is set (register, reset, change)."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationFailed(fields={field: list(exc.messages)}) from exc


class NotBlankOrOneCharacterValidator:
    """Refuses a password that is only whitespace or one character repeated ("            ", "aaaaaaaaaa"):
    long enough for the length rule, guessed at once."""

    def validate(self, password: str, user=None) -> None:
        if not password.strip():
            raise ValidationError("The password cannot be only spaces.", code="password_blank")
        if len(set(password)) == 1:
            raise ValidationError("The password cannot be one character repeated.", code="password_one_character")

    def get_help_text(self) -> str:
        return "Your password cannot be only spaces or one character repeated."
