"""URL helper: SPEC paths are written without a trailing slash, and accept one too."""

from __future__ import annotations

import re

from django.urls import re_path

UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def api_path(route: str, view, name: str):
    """``api_path("sessions/<session_id>/logs", ...)``: each ``<name>`` matches a UUID only,
    so a malformed id is a plain 404 and never reaches the database."""
    pattern = re.sub(r"<(\w+)>", lambda m: rf"(?P<{m.group(1)}>{UUID_RE})", route)
    return re_path(rf"^{pattern}/?$", view, name=name)
