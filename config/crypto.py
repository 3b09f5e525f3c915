"""Encryption at rest for the few values the database must keep secret (session media keys).

The key is derived from ``SECRET_KEY`` with HKDF (SHA-256, a purpose-specific ``info``), so no new
secret has to be provisioned and the signing key itself never encrypts anything. Fernet gives
authenticated encryption (AES-128-CBC + HMAC-SHA256): a tampered or foreign value fails to decrypt
instead of yielding garbage. ``SECRET_KEY_FALLBACKS`` keep decrypting values written before a key
rotation; new values are always written with the current key.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"coaching-platform:field-encryption:v1"


class DecryptionFailed(Exception):
    """A stored value could not be decrypted with the current or any fallback key."""


def _fernet_for(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(secret) for secret in secrets])


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # Never echo the token: the message may end up in a log.
        raise DecryptionFailed("A stored secret could not be decrypted (was SECRET_KEY changed?).") from None
