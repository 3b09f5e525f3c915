"""The relay's rules: a failing consumer holds up only its event, one wake-up per transaction, and
the wake flag that keeps a burst to one task (the races are in tests/webhooks/test_relay_batches.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from events import registry
from events.models import Event, EventReceipt
from events.services import event_emit, events_relay, wake

pytestmark = pytest.mark.django_db(transaction=True)


def _pending_events(n: int) -> list[Event]:
    """Committed events nobody relayed yet (their wake-up was lost, say)."""
    old = timezone.now() - timedelta(minutes=1)
    return [Event.objects.create(type="coach.verified", data={"n": i}, created_at=old) for i in range(n)]


def test_a_failing_consumer_leaves_only_its_event_pending_until_its_retry_time(db):
    calls: list[int] = []

    def handler(event):
        if event.data.get("bad"):
            raise RuntimeError("broken")
        calls.append(event.data["n"])

    saved, saved_batch = registry.consumers(), dict(registry._batch_handlers)
    registry.register_consumer("probe", handler)
    try:
        old = timezone.now() - timedelta(minutes=1)
        good, bad = (
            Event.objects.create(type="coach.verified", data={"n": i, "bad": i == 1}, created_at=old) for i in range(2)
        )
        events_relay()
        good.refresh_from_db()
        bad.refresh_from_db()
        assert good.relayed_at is not None and bad.relayed_at is None
        assert bad.relay_retry_at > timezone.now()
        assert events_relay() == 0  # not before its retry time
        Event.objects.filter(pk=bad.pk).update(relay_retry_at=timezone.now() - timedelta(seconds=1), data={"n": 1})
        before = len(calls)
        assert events_relay() == 1  # only the consumer that had failed runs again, on that event only
        assert calls[before:] == [1]
        assert EventReceipt.objects.filter(consumer="probe").count() == 2
        bad.refresh_from_db()
        assert bad.relayed_at is not None
    finally:
        registry._consumers.clear()
        registry._consumers.update(saved)
        registry._batch_handlers.clear()
        registry._batch_handlers.update(saved_batch)


@pytest.mark.django_db  # inside the test's transaction: the callbacks wait to be counted
def test_a_transaction_with_several_events_wakes_one_relay(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for _ in range(3):
            event_emit(type="coach.verified", data={"coach_id": str(uuid.uuid4())})
    assert len(callbacks) == 1


def test_an_emit_while_a_relay_holds_the_flag_sends_nothing_and_that_relay_takes_it(db):
    wake.flag_drop()
    assert wake.relay_now() is True  # nobody held the flag: a task was sent (run here: eager)
    assert wake.relay_now() is False  # a relay is queued or at work: no second task
    event = _pending_events(1)[0]
    # A relay woken through the flag relays what is pending, then drops the flag: the next commit
    # wakes a new relay.
    assert events_relay(wake_flag=True) > 0
    event.refresh_from_db()
    assert event.relayed_at is not None
    assert wake.flag_take() is True
