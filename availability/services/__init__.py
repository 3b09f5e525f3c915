"""Writes of the availability domain: schedules and their publisher, time off, calendar feeds."""

from availability.services.calendar import (
    calendar_feed_rotate,
    calendar_feed_token,
    calendar_feed_user,
    calendar_ics,
)
from availability.services.publishing import PublishResult, schedule_publish
from availability.services.rules import Rule, local_to_utc, rule_slots, rules_overlap
from availability.services.schedule import (
    DEFAULT_HORIZON_DAYS,
    MAX_HORIZON_DAYS,
    Schedule,
    schedule_get,
    schedule_replace,
)
from availability.services.time_off import time_off_conflicts, time_off_create, time_off_delete

__all__ = [
    "DEFAULT_HORIZON_DAYS",
    "MAX_HORIZON_DAYS",
    "PublishResult",
    "Rule",
    "Schedule",
    "calendar_feed_rotate",
    "calendar_feed_token",
    "calendar_feed_user",
    "calendar_ics",
    "local_to_utc",
    "rule_slots",
    "rules_overlap",
    "schedule_get",
    "schedule_publish",
    "schedule_replace",
    "time_off_conflicts",
    "time_off_create",
    "time_off_delete",
]
