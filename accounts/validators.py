"""Password rules beyond Django's own validators (settings.AUTH_PASSWORD_VALIDATORS lists them all)."""

from __future__ import annotations

from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    get_default_password_validators,
    validate_password,
)
from django.core.exceptions import ValidationError

from config.api.contract import SPACE
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


def password_schema() -> dict:
    """The policy as the OpenAPI schema states it (a new password in ``auth/register``,
    ``auth/password-reset/confirm`` and ``auth/password``), from the validators in force.

    The pattern holds the rules a pattern can: no NUL (DRF refuses it in any text), not only whitespace
    (``str.isspace``), not one character repeated, not only the digits 0-9. The rest is said in words:
    digits of other scripts (``str.isdigit``) count as digits too, and the common-password list and the
    similarity to the account's e-mail and names are beyond what a schema can express.
    """
    least = min(v.min_length for v in get_default_password_validators() if isinstance(v, MinimumLengthValidator))
    anything = r"[\s\S]"
    return {
        "minLength": least,
        "pattern": (
            rf"^(?!{anything}*\x00)(?={anything}*[^{SPACE}])(?={anything}*[^0-9])"
            rf"(?=({anything}){anything}*?(?!\1){anything})"
        ),
        "description": (
            f"At least {least} characters; not only whitespace; not one character repeated; not only digits "
            "(of any script); not a common password (Django's list of 20,000); not too similar to the "
            "e-mail address, first or last name. Refused: 400 `validation_error` on this field."
        ),
    }
