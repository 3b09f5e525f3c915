"""The seam between the session core and its satellites (chat, recordings, ...).

The core never imports a satellite. Where one of its answers carries a satellite's data (the
``messages`` of ``start-call``, the counts and recordings of the report) or its admin page shows a
satellite's rows, the satellite registers a part here from its ``AppConfig.ready``:

    registry.register_part(registry.REPORT, registry.Part(select=..., render=..., schema=...))
    registry.register_session_inline(MessageInline)

A part is two steps. ``select(session)`` is a selector: it returns a queryset or plain values and
knows nothing of HTTP. ``render(value, request)`` turns that value into the keys the part adds to
the answer, in the order they appear (parts appear in registration order, which is
``INSTALLED_APPS`` order). ``schema()`` gives the same keys as serializer fields for the OpenAPI
document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# The answers satellites can add to.
REPORT = "report"
START_CALL = "start_call"


@dataclass(frozen=True)
class Part:
    select: Callable[[Any], Any]
    render: Callable[[Any, Any], dict]
    schema: Callable[[], Mapping[str, Any]]


_parts: dict[str, list[Part]] = {REPORT: [], START_CALL: []}
_inlines: list[type] = []


def register_part(answer: str, part: Part) -> None:
    if part not in _parts[answer]:  # ready() may run twice (tests that reload apps)
        _parts[answer].append(part)


def parts(answer: str) -> tuple[Part, ...]:
    return tuple(_parts[answer])


def register_session_inline(inline: type) -> None:
    """An admin inline the session's admin page shows after its own."""
    if inline not in _inlines:
        _inlines.append(inline)


def session_inlines() -> list[type]:
    return list(_inlines)


def select_parts(answer: str, *, session) -> list[tuple[Part, Any]]:
    """Every part's selected value for ``session``: what a selector hands to the API layer."""
    return [(part, part.select(session)) for part in parts(answer)]


def render_parts(selected: list[tuple[Part, Any]], *, request) -> dict:
    """The keys the selected parts add to an answer, in registration order."""
    out: dict = {}
    for part, value in selected:
        out.update(part.render(value, request))
    return out


def schema_fields(answer: str) -> dict:
    fields: dict = {}
    for part in parts(answer):
        fields.update(part.schema())
    return fields
