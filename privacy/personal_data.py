"""The privacy app's own part of an erasure: the person's exports."""

from __future__ import annotations

from privacy import registry
from privacy.services import data_exports_erase


def register() -> None:
    registry.register_erasure_step("privacy.exports", data_exports_erase, order=60)
