from __future__ import annotations

from celery import shared_task

from backoffice.heartbeat import heartbeat
from events import services


def _eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


@shared_task(name="events.tasks.relay_events", acks_late=True)
def relay_events() -> int:
    """Woken after commits (``events.services.wake``): relay pending events in batches. On a worker
    it lingers for more and keeps the wake flag; run eagerly it relays what is pending and returns."""
    if _eager():
        return services.events_relay()
    return services.events_relay(linger_seconds=services.RELAY_LINGER_SECONDS, wake_flag=True)


# The tasks of the per-event relay this replaced: messages already queued when it was deployed.
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
