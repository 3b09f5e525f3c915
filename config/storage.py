"""Storage facts chat media and recordings share: "is this storage S3?" and the signed links.

Both hand out time-limited links to private files: an S3 presigned GET when the storage is
django-storages' S3, otherwise a project URL whose path carries a token signed with
``django.core.signing``. The choice and the signing are stated here once; what a token names
(a message, a recording file) and how long it lives stay the caller's.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.core.files.storage import Storage
from storages.backends.s3 import S3Storage


def is_s3(storage: Storage) -> bool:
    return isinstance(storage, S3Storage)


def presigned_url(storage: Storage, name: str, *, ttl: int, parameters: dict[str, str]) -> str:
    """A GET of ``name`` valid ``ttl`` seconds; ``parameters`` set the answer's headers
    (``ResponseContentType``, ``ResponseContentDisposition``)."""
    return storage.url(name, parameters=parameters, expire=max(1, ttl))


def sign_token(data: dict[str, Any], *, salt: str) -> str:
    return signing.dumps(data, salt=salt, compress=False)


def read_token(token: str, *, salt: str, max_age: int | None = None) -> Any:
    """The data of a token made by :func:`sign_token`. Raises ``signing.SignatureExpired`` past
    ``max_age`` seconds and ``signing.BadSignature`` (its base class) when forged."""
    return signing.loads(token, salt=salt, max_age=max_age)
