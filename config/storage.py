"""What the apps ask of a storage beyond Django's API: is it S3 (so links are presigned by S3)?"""

from __future__ import annotations

from django.core.files.storage import Storage
from storages.backends.s3 import S3Storage


def is_s3(storage: Storage) -> bool:
    return isinstance(storage, S3Storage)
