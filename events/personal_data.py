"""What an erasure does to the outbox (SPEC 10): stored events stop naming the person.

Events keep the session as the API rendered it, with both participants' names. Receivers that
were sent an event keep their copy (that is theirs to erase); what stays here is rewritten so the
person reads "Deleted user", as the sessions themselves do. Redeliveries then send the new text.
"""

from __future__ import annotations

from django.db.models import Q

from events.models import Event
from privacy import registry

DELETED_NAME = "Deleted user"


def _scrub(value, person_id: str):
    """``value`` with every participant object of ``person_id`` renamed; returns (new value, changed)."""
    if isinstance(value, dict):
        changed = False
        out = {}
        for key, item in value.items():
            out[key], sub = _scrub(item, person_id)
            changed |= sub
        names = (out.get("first_name"), out.get("last_name"))
        if out.get("id") == person_id and "first_name" in out and names != (DELETED_NAME, ""):
            out["first_name"], out["last_name"] = DELETED_NAME, ""
            changed = True
        return out, changed
    if isinstance(value, list):
        pairs = [_scrub(item, person_id) for item in value]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    return value, False


def erase_event_names(ctx: registry.ErasureContext) -> dict:
    person_id = str(ctx.user.pk)
    # The person's sessions are where their name can appear (as coach or customer of each).
    sessions = Q(data__session__coach__id=person_id) | Q(data__session__customer__id=person_id)
    rewritten = 0
    for event in Event.objects.filter(sessions).only("id", "data").iterator(chunk_size=500):
        data, changed = _scrub(event.data, person_id)
        if changed:
            Event.objects.filter(pk=event.pk).update(data=data)
            rewritten += 1
    return {"events_rewritten": rewritten}


def register() -> None:
    # Before the identity itself goes (90): the same moment the other apps forget the person.
    registry.register_erasure_step("events.names", erase_event_names, order=80)
