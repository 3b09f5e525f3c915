from __future__ import annotations

from celery import shared_task

from backoffice.heartbeat import heartbeat
from events import services


@shared_task(name="events.tasks.dispatch_event", acks_late=True)
def dispatch_event(event_id: str) -> list[str]:
    return services.event_dispatch(event_id=event_id)


@shared_task(name="events.tasks.dispatch_events", acks_late=True)
def dispatch_events(event_ids: list[str]) -> int:
    return services.events_dispatch(event_ids=event_ids)


@shared_task(name="events.tasks.dispatch_pending_events")
def dispatch_pending_events() -> int:
    dispatched = services.events_dispatch_pending()
    heartbeat("events.tasks.dispatch_pending_events", f"{dispatched} dispatched")
    return dispatched
