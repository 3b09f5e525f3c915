"""Planned notifications: session reminders and the join-window notice.

They are rows made at booking (``PLANNED`` with ``due_at``), moved when the session moves and
dropped when it is cancelled or starts. :func:`notifications_release_due` claims due rows with a
conditional ``UPDATE ... WHERE state = 'PLANNED'`` stamped with a claim token, so two workers
releasing at once each get their own rows and none is sent twice; a row whose session is no longer
pending (or has already started) is deleted instead of sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import Delivery, Notification
from notifications.services.create import channels_for
from notifications.services.preferences import preferences_for_users
from notifications.services.rendering import SessionFacts, render_texts, session_context
from sessions_app.models import Session

PLANNED_KINDS = (Kind.SESSION_REMINDER, Kind.SESSION_JOIN_OPEN)

# What the release reads of a row, its recipient and session, and both participants: the texts,
# the channels, the e-mail and push need no more (a column not loaded would cost a query per row,
# which the benchmark's query count shows at once). Whole rows cost more to load than to render.
_PERSON = ("email", "first_name", "last_name", "language", "timezone", "is_active")
_SESSION = (
    "number", "type", "status", "coach", "customer", "scheduled_start", "scheduled_end", "created_at", "topic",
    "cancel_reason",
)  # fmt: skip
RELEASE_FIELDS = (
    "kind",
    "data",
    "offset_minutes",
    "recipient",
    "session",
    *(f"recipient__{name}" for name in _PERSON),
    *(f"session__{name}" for name in _SESSION),
    *(f"session__{who}__{name}" for who in ("coach", "customer") for name in _PERSON),
)


def planned_schedule(session: Session) -> dict[tuple[str, int], datetime]:
    """``{(kind, offset_minutes): due_at}`` a pending scheduled session should have."""
    if session.type != Session.Type.SCHEDULED or session.status != Session.Status.PENDING:
        return {}
    plan = {
        (Kind.SESSION_REMINDER, offset): session.scheduled_start - timedelta(minutes=offset)
        for offset in settings.REMINDER_OFFSETS_MINUTES
    }
    plan[(Kind.SESSION_JOIN_OPEN, settings.JOIN_EARLY_MINUTES)] = session.join_opens_at
    return plan


def reminders_sync(*, session_id, now: datetime | None = None) -> None:
    """Make the session's planned rows match its current time and state: new ones at booking (none
    already past), moved on reschedule (a new time gets the reminders still ahead of it), all gone
    on cancel or start. Idempotent: any session event may call it, in any order."""
    now = now or timezone.now()
    # Inside the consumer's transaction no savepoint of its own (two more round trips): a failure
    # here fails the whole event, which is retried as one.
    with transaction.atomic(savepoint=False):
        session = Session.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            return
        wanted = {key: due for key, due in planned_schedule(session).items() if due > now}
        participants = {session.coach_id, session.customer_id}
        planned = Notification.objects.filter(
            session_id=session.pk, state=Notification.State.PLANNED, kind__in=PLANNED_KINDS
        )
        have: set[tuple] = set()
        for row in planned:
            key = (row.kind, row.offset_minutes)
            if key not in wanted or row.recipient_id not in participants:
                row.delete()
                continue
            have.add((*key, row.recipient_id))
            if row.due_at != wanted[key]:
                Notification.objects.filter(pk=row.pk, state=Notification.State.PLANNED).update(due_at=wanted[key])
        missing = [
            Notification(
                recipient_id=user_id,
                kind=kind,
                state=Notification.State.PLANNED,
                session_id=session.pk,
                data={"session_id": str(session.pk)},
                due_at=due,
                offset_minutes=offset,
                planned_at=now,
                created_at=now,
            )
            for (kind, offset), due in wanted.items()
            for user_id in participants
            if (kind, offset, user_id) not in have
        ]
        # The partial unique index is the last guard against two relays planning at once.
        Notification.objects.bulk_create(missing, ignore_conflicts=True)


def reminders_drop(*, session_id) -> int:
    deleted, _ = Notification.objects.filter(
        session_id=session_id, state=Notification.State.PLANNED, kind__in=PLANNED_KINDS
    ).delete()
    return deleted


def _still_worth_sending(row: Notification, session: Session | None, now: datetime) -> bool:
    if session is None or session.status != Session.Status.PENDING:
        return False
    if row.kind == Kind.SESSION_REMINDER:
        # Released late (workers were down): a "starts in 24 hours" one hour before the start is
        # wrong and the 1-hour reminder is due too. Past half its lead time a reminder is dropped.
        left = session.scheduled_start - now
        return left > timedelta(0) and left * 2 >= timedelta(minutes=row.offset_minutes or 0)
    return now < session.join_closes_at


def notifications_release_due(*, now: datetime | None = None, batch_size: int = 500) -> list[int]:
    """Release every planned row due by ``now``; returns the ids of the deliveries it opened."""
    return [d.pk for batch in release_batches(now=now, batch_size=batch_size) for d in batch]


def release_batches(
    *, now: datetime | None = None, batch_size: int = 500, claim: bool = False
) -> Iterator[list[Delivery]]:
    """Release the due planned rows a batch at a time (memory stays flat), yielding each batch's new
    deliveries, their notification and recipient attached. With ``claim`` they are made claimed by
    this run (``SENDING``, one claim token, first attempt), so the caller sends them as they are,
    without claiming them again, and no other sender can take them; should the caller die, the
    stale-claim reset gives them back."""
    now = now or timezone.now()
    while True:
        token = uuid.uuid4()
        due = Notification.objects.filter(state=Notification.State.PLANNED, due_at__lte=now).order_by("due_at")
        ids = list(due.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return
        # The claim: only rows still PLANNED when this UPDATE reaches them (PostgreSQL re-checks the
        # condition after waiting for a concurrent claimer's row locks) get this worker's token.
        claimed = Notification.objects.filter(pk__in=ids, state=Notification.State.PLANNED).update(
            state=Notification.State.CLAIMED, claim_token=token, claimed_at=now
        )
        if claimed:
            yield _release_claimed(token=token, now=now, claim=claim)


def _release_claimed(*, token, now: datetime, claim: bool) -> list[Delivery]:
    rows = list(
        Notification.objects.filter(claim_token=token, state=Notification.State.CLAIMED)
        .select_related("recipient", "session__coach", "session__customer")
        .only(*RELEASE_FIELDS)
    )
    drop = [row.pk for row in rows if not row.recipient.is_active or not _still_worth_sending(row, row.session, now)]
    if drop:
        Notification.objects.filter(pk__in=drop).delete()
        dropped = set(drop)
        rows = [row for row in rows if row.pk not in dropped]
    prefs = preferences_for_users(user_ids={row.recipient_id for row in rows})
    opened = {"next_attempt_at": now}
    if claim:
        opened.update(status=Delivery.Status.SENDING, claim_token=token, claimed_at=timezone.now(), attempts=1)
    deliveries: list[Delivery] = []
    for row in rows:
        facts = SessionFacts.from_model(row.session)
        minutes = row.offset_minutes or 0
        context = session_context(facts, row.recipient, minutes=minutes, hours=minutes // 60)
        row.title, row.body = render_texts(kind=row.kind, recipient=row.recipient, context=context)
        row.title = row.title[:300]
        row.state = Notification.State.SENT
        row.created_at = now
        for channel in channels_for(kind=row.kind, recipient=row.recipient, prefs=prefs[row.recipient_id]):
            deliveries.append(Delivery(notification=row, channel=channel, **opened))
    with transaction.atomic():
        _store_released(rows, now)
        Delivery.objects.bulk_create(deliveries, batch_size=500)
    return deliveries


def _store_released(rows: list[Notification], now: datetime) -> None:
    """Write the rendered texts of ``rows`` and mark them ``SENT``: one statement run for every row
    (``executemany``; psycopg pipelines it into one round trip). ``bulk_update`` built a CASE per
    field and row in Python, which cost more than rendering the texts."""
    if not rows:
        return
    meta = Notification._meta
    fields = [meta.get_field(name) for name in ("title", "body", "state", "created_at", "id")]
    quote = connection.ops.quote_name
    # Names from the model's own meta; every value goes as a parameter.
    sql = "UPDATE {} SET {} = %s, {} = %s, {} = %s, {} = %s WHERE {} = %s".format(  # noqa: S608
        quote(meta.db_table), *(quote(field.column) for field in fields)
    )
    pk, created_at = meta.pk, meta.get_field("created_at")
    when = created_at.get_db_prep_value(now, connection)
    params = [
        (row.title, row.body, Notification.State.SENT, when, pk.get_db_prep_value(row.pk, connection)) for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
