"""Reads of recordings. The session report uses :func:`recordings_for_report`."""

from __future__ import annotations


def recordings_for_report(*, session, request) -> list[dict]:
    """The session's recordings serialized as the API shows them."""
    return []
