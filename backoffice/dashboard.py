"""The ops dashboard on the admin home: panels of counts that link to the lists behind them.

Extension point: other apps add a panel with ``register_panel``, from their ``AppConfig.ready()``
or ``admin.py`` (the console's own panels below read the apps' models directly, as the rest of
``backoffice`` does)::

    from backoffice.dashboard import Panel, Row, register_panel

    @register_panel
    def failed_deliveries(request, now):
        if not request.user.has_perm("webhooks.view_delivery"):
            return None  # not for this viewer
        return Panel("Outgoing webhooks", [Row("Failed deliveries", n, url, level="error" if n else "")])

A panel must run a fixed number of queries, whatever the number of rows (the dashboard's
query-count test holds them to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from backoffice.models import JobHeartbeat
from config.health import health_checks
from notifications.models import Delivery
from ratings.selectors import rating_queue_stats
from recordings.models import Recording, WebhookEvent
from sessions_app.models import PostponeRequest, ProblemReport, Session
from webhooks.models import WebhookDelivery, WebhookEndpoint

OK, WARN, ERROR = "", "warn", "error"
STALE_FACTOR = 3  # a job is late when its last success is older than 3 periods
WEBHOOK_EVENT_LATE = timedelta(minutes=5)
PROCESSING_LATE = timedelta(days=1)
NOTIFICATION_LATE = timedelta(minutes=15)
RECENT = timedelta(hours=24)


@dataclass(frozen=True)
class Row:
    label: str
    value: object
    url: str = ""
    level: str = OK
    detail: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    rows: list[Row] = field(default_factory=list)


PanelFunction = Callable[..., Panel | None]
_PANELS: list[PanelFunction] = []


def register_panel(function: PanelFunction) -> PanelFunction:
    """Add a panel: ``function(request, now)`` returns a :class:`Panel`, or None to show nothing."""
    if function not in _PANELS:
        _PANELS.append(function)
    return function


def dashboard_panels(request, *, now: datetime | None = None) -> list[Panel]:
    now = now or timezone.now()
    return [panel for function in _PANELS if (panel := function(request, now)) is not None]


def _level(count: int, level: str = WARN) -> str:
    return level if count else OK


def _url(name: str, query: str = "") -> str:
    return reverse(name) + (f"?{query}" if query else "")


@register_panel
def sessions_panel(request, now: datetime) -> Panel | None:
    if not request.user.has_perm("sessions_app.view_session"):
        return None
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    on_today = Q(scheduled_start__gte=today, scheduled_start__lt=today + timedelta(days=1))
    grace = timedelta(minutes=settings.SESSION_GRACE_MINUTES)
    counts = Session.objects.aggregate(
        live=Count("pk", filter=Q(status__in=Session.ACTIVE_STATUSES)),
        stuck_active=Count("pk", filter=Q(status__in=Session.ACTIVE_STATUSES, scheduled_end__lte=now - grace)),
        stuck_pending=Count("pk", filter=Q(status=Session.Status.PENDING, scheduled_end__lte=now)),
        **{f"today_{s.value}": Count("pk", filter=on_today & Q(status=s.value)) for s in Session.Status},
    )
    changelist = "admin:sessions_app_session_changelist"
    # Aware datetimes, as the admin's own date filter writes them (a bare date is read as naive).
    today_query = urlencode({"scheduled_start__gte": str(today), "scheduled_start__lt": str(today + timedelta(days=1))})
    rows = [
        Row(
            f"Today: {s.label.lower()}",
            counts[f"today_{s.value}"],
            _url(changelist, f"{today_query}&status__exact={s.value}"),
        )
        for s in Session.Status
    ]
    rows.insert(0, Row("Live now", counts["live"], _url(changelist, "live=1")))
    rows += [
        Row(
            "Stuck: running past their end + grace",
            counts["stuck_active"],
            _url(changelist, "stuck=active"),
            _level(counts["stuck_active"], ERROR),
        ),
        Row(
            "Stuck: pending past their end",
            counts["stuck_pending"],
            _url(changelist, "stuck=pending"),
            _level(counts["stuck_pending"], ERROR),
        ),
    ]
    return Panel("Sessions", rows)


@register_panel
def recordings_panel(request, now: datetime) -> Panel | None:
    user = request.user
    rows = []
    if user.has_perm("recordings.view_recording"):
        counts = Recording.objects.aggregate(
            processing_late=Count(
                "pk", filter=Q(status=Recording.Status.PROCESSING, created_at__lte=now - PROCESSING_LATE)
            ),
            failed=Count("pk", filter=Q(status=Recording.Status.FAILED)),
        )
        changelist = "admin:recordings_recording_changelist"
        rows += [
            Row(
                "Processing for more than a day",
                counts["processing_late"],
                _url(changelist, "status__exact=PROCESSING"),
                _level(counts["processing_late"]),
            ),
            Row("Failed", counts["failed"], _url(changelist, "status__exact=FAILED"), _level(counts["failed"])),
        ]
    if user.has_perm("recordings.view_webhookevent"):
        late = WebhookEvent.objects.filter(processed_at__isnull=True, received_at__lte=now - WEBHOOK_EVENT_LATE)
        row = late.aggregate(count=Count("pk"), oldest=Min("received_at"))
        detail = f"oldest received {timesince(row['oldest'], now)} ago" if row["oldest"] else ""
        rows.append(
            Row(
                "Agora events not processed after 5 minutes",
                row["count"],
                _url("admin:recordings_webhookevent_changelist", "unprocessed=1"),
                _level(row["count"], ERROR),
                detail,
            )
        )
    return Panel("Recordings", rows) if rows else None


@register_panel
def moderation_panel(request, now: datetime) -> Panel | None:
    if not request.user.has_perm("ratings.view_rating"):
        return None
    stats = rating_queue_stats(now=now)
    oldest = f"oldest waiting {timesince(stats.oldest_waiting_at, now)}" if stats.oldest_waiting_at else ""
    changelist = "admin:ratings_rating_changelist"
    return Panel(
        "Rating moderation",
        [
            Row("Waiting", stats.size, _url(changelist, "queue=waiting"), _level(stats.size), oldest),
            Row("Flagged", stats.flagged, _url(changelist, "status__exact=FLAGGED"), _level(stats.flagged)),
        ],
    )


@register_panel
def support_panel(request, now: datetime) -> Panel | None:
    """The session policies' queues: problem reports waiting for a decision, open postpone requests."""
    user, rows = request.user, []
    if user.has_perm("sessions_app.view_problemreport"):
        row = ProblemReport.objects.filter(status=ProblemReport.Status.OPEN).aggregate(
            count=Count("pk"), oldest=Min("created_at")
        )
        rows.append(
            Row(
                "Problem reports to decide",
                row["count"],
                _url("admin:sessions_app_problemreport_changelist", "status__exact=OPEN"),
                _level(row["count"]),
                f"oldest reported {timesince(row['oldest'], now)} ago" if row["oldest"] else "",
            )
        )
    if user.has_perm("sessions_app.view_postponerequest"):
        count = PostponeRequest.objects.filter(status=PostponeRequest.Status.PENDING).count()
        rows.append(
            Row(
                "Postpone requests waiting for the customer",
                count,
                _url("admin:sessions_app_postponerequest_changelist", "status__exact=PENDING"),
            )
        )
    return Panel("Support", rows) if rows else None


@register_panel
def outgoing_panel(request, now: datetime) -> Panel | None:
    """What leaves the platform and did not arrive: webhook deliveries, notification deliveries."""
    user, rows = request.user, []
    if user.has_perm("webhooks.view_webhookdelivery"):
        failed = Q(status=WebhookDelivery.Status.FAILED)
        counts = WebhookDelivery.objects.aggregate(
            failed=Count("pk", filter=failed),
            failed_recently=Count("pk", filter=failed & Q(last_attempt_at__gte=now - RECENT)),
            retrying=Count("pk", filter=Q(status=WebhookDelivery.Status.PENDING, attempts__gt=0)),
        )
        changelist = "admin:webhooks_webhookdelivery_changelist"
        rows += [
            Row(
                "Webhook deliveries failed (gave up)",
                counts["failed"],
                _url(changelist, "outcome=failed"),
                _level(counts["failed_recently"], ERROR),
                f"{counts['failed_recently']} in the last 24 h",
            ),
            Row(
                "Webhook deliveries retrying",
                counts["retrying"],
                _url(changelist, "outcome=retrying"),
                _level(counts["retrying"]),
            ),
        ]
    if user.has_perm("webhooks.view_webhookendpoint"):
        disabled = WebhookEndpoint.objects.filter(is_active=False, disabled_at__isnull=False).count()
        rows.append(
            Row(
                "Webhook endpoints disabled after failing",
                disabled,
                _url("admin:webhooks_webhookendpoint_changelist", "state=disabled"),
                _level(disabled, ERROR),
            )
        )
    if user.has_perm("notifications.view_delivery"):
        counts = Delivery.objects.aggregate(
            failed=Count("pk", filter=Q(status=Delivery.Status.FAILED, updated_at__gte=now - RECENT)),
            late=Count("pk", filter=Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now - NOTIFICATION_LATE)),
        )
        changelist = "admin:notifications_delivery_changelist"
        rows += [
            Row(
                "Notification deliveries failed in the last 24 h",
                counts["failed"],
                _url(changelist, "status__exact=FAILED"),
                _level(counts["failed"], ERROR),
            ),
            Row(
                "Notification deliveries due for more than 15 minutes",
                counts["late"],
                _url(changelist, "status__exact=PENDING"),
                _level(counts["late"]),
            ),
        ]
    return Panel("Outgoing", rows) if rows else None


def beat_jobs() -> list[tuple[str, str, float]]:
    """(schedule entry, task name, period in seconds) of every job in ``CELERY_BEAT_SCHEDULE``."""
    jobs = []
    for entry, spec in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = spec["schedule"]
        if isinstance(schedule, timedelta):
            seconds = schedule.total_seconds()
        elif isinstance(schedule, int | float):
            seconds = float(schedule)
        else:  # a crontab: the only one is the daily schedule publisher, so a day between runs
            seconds = 24 * 3600.0
        jobs.append((entry, spec["task"], seconds))
    return jobs


def _period(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"every {int(seconds // 3600)} h"
    if seconds % 60 == 0:
        return f"every {int(seconds // 60)} min"
    return f"every {int(seconds)} s"


@register_panel
def jobs_panel(request, now: datetime) -> Panel | None:
    beats = {b.name: b for b in JobHeartbeat.objects.all()}
    rows = []
    for entry, task, seconds in beat_jobs():
        beat = beats.get(task)
        if beat is None:
            rows.append(Row(entry, "never ran", level=ERROR, detail=_period(seconds)))
            continue
        late = now - beat.last_success_at > timedelta(seconds=seconds * STALE_FACTOR)
        rows.append(
            Row(
                entry,
                "just now"
                if now - beat.last_success_at < timedelta(minutes=1)
                else f"{timesince(beat.last_success_at, now)} ago",
                level=ERROR if late else OK,
                detail=f"{_period(seconds)}; {beat.last_result}" + ("; LATE" if late else ""),
            )
        )
    return Panel("Periodic jobs (last success)", rows)


@register_panel
def health_panel(request, now: datetime) -> Panel | None:
    return Panel(
        "Health",
        [Row(name, result, level=OK if result == "ok" else ERROR) for name, result in health_checks().items()],
    )
