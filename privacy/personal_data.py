"""The privacy app's own part of an erasure: the person's exports."""

from __future__ import annotations

from privacy import registry


def register() -> None:
    from privacy.services import _erase_exports

    registry.register_erasure_step("privacy.exports", _erase_exports, order=60)
