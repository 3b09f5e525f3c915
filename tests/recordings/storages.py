"""A test storage backend: the local file system, except that deleting a name containing
``undeletable`` fails, as an S3 outage would for one object."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class FlakyDeleteStorage(FileSystemStorage):
    def delete(self, name: str) -> None:
        if "undeletable" in name:
            raise OSError(f"simulated storage failure deleting {name}")
        super().delete(name)


class UnlistableStorage(FileSystemStorage):
    """Listing fails, as an S3 outage or a missing ListBucket permission would."""

    def listdir(self, path: str):
        raise OSError(f"simulated storage failure listing {path}")
