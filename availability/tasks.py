from __future__ import annotations

from celery import shared_task


@shared_task(name="availability.tasks.publish_schedules")
def publish_schedules() -> dict:
    """Daily: top every schedule up to its horizon. Idempotent (a second run publishes nothing)."""
    from availability.services import schedule_publish

    result = schedule_publish()
    return {"coaches": result.coaches, "created": result.created, "withdrawn": result.withdrawn}
