from __future__ import annotations

from celery import shared_task

from availability.models import WeeklyRule
from availability.services import schedule_publish


@shared_task(name="availability.tasks.publish_schedules")
def publish_schedules() -> dict:
    """Daily: top every schedule up to its horizon. Idempotent (a second run publishes nothing)."""
    result = schedule_publish()
    return {"coaches": result.coaches, "created": result.created, "withdrawn": result.withdrawn}


@shared_task(name="availability.tasks.publish_coach_schedule")
def publish_coach_schedule(coach_id: str) -> dict:
    """One coach's schedule, now (after a cancellation). Safe to run twice; the daily run is its sweep."""
    if not WeeklyRule.objects.filter(coach_id=coach_id).exists():
        return {"coaches": 0, "created": 0, "withdrawn": 0}
    result = schedule_publish(coach_ids=[coach_id])
    return {"coaches": result.coaches, "created": result.created, "withdrawn": result.withdrawn}
