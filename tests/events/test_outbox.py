from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from events import registry
from events.models import Event, EventReceipt
from events.services import event_dispatch, event_emit, event_emit_many, events_dispatch, events_dispatch_pending

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seen(monkeypatch):
    """A consumer registered for the test (the registry is the seam; nothing of ours is mocked)."""
    calls: list[str] = []
    saved, saved_batch = registry.consumers(), dict(registry._batch_handlers)
    registry.register_consumer("probe", lambda event: calls.append(event.type))
    yield calls
    registry._consumers.clear()
    registry._consumers.update(saved)
    registry._batch_handlers.clear()
    registry._batch_handlers.update(saved_batch)


def test_an_event_reaches_each_consumer_once_after_commit(seen):
    with transaction.atomic():
        event = event_emit(type="coach.verified", data={"coach_id": "x"})
        assert seen == []  # not before the commit
    assert seen == ["coach.verified"]
    assert event_dispatch(event_id=event.pk) == []  # a second relay finds the receipt
    assert seen == ["coach.verified"]
    assert EventReceipt.objects.filter(event=event, consumer="probe").count() == 1


def test_a_rolled_back_change_leaves_no_event(seen):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_emit(type="coach.verified", data={"coach_id": "x"})
        raise RuntimeError("the change failed")
    assert not Event.objects.exists()
    assert seen == []


def test_the_sweep_dispatches_what_no_task_handled(seen):
    old = timezone.now() - timedelta(minutes=5)
    lost = Event.objects.create(type="coach.verified", data={}, created_at=old)  # its task never ran
    assert events_dispatch_pending() >= 1
    assert seen == ["coach.verified"]
    assert events_dispatch_pending() == 0
    assert EventReceipt.objects.filter(event=lost, consumer="probe").count() == 1  # other consumers add theirs


def test_unknown_types_are_refused():
    with pytest.raises(ValueError):
        event_emit(type="session.exploded", data={})


def test_a_batch_goes_through_the_batch_handler_in_one_transaction(seen):
    batches: list[int] = []
    registry.register_consumer(
        "probe", lambda event: seen.append(event.type), handle_many=lambda es: batches.append(len(es))
    )
    old = timezone.now() - timedelta(minutes=5)
    events = [Event.objects.create(type="coach.verified", data={}, created_at=old) for _ in range(5)]
    assert events_dispatch(event_ids=[e.pk for e in events]) >= 5
    assert batches == [5] and seen == []
    assert EventReceipt.objects.filter(consumer="probe").count() == 5
    assert events_dispatch(event_ids=[e.pk for e in events]) == 0  # all receipted: nothing again


def test_one_bad_event_in_a_batch_does_not_hold_up_the_others(seen):
    def handler(event):
        if event.data.get("bad"):
            raise RuntimeError("this one is broken")
        seen.append(event.data["n"])

    registry.register_consumer("probe", handler)
    old = timezone.now() - timedelta(minutes=5)
    events = [
        Event.objects.create(type="coach.verified", data={"n": i, "bad": i == 2}, created_at=old) for i in range(4)
    ]
    events_dispatch(event_ids=[e.pk for e in events])
    # The batch rolled back (what a handler writes goes with it), then each event ran on its own.
    assert set(seen) == {0, 1, 3}
    assert EventReceipt.objects.filter(consumer="probe").count() == 3
    assert not EventReceipt.objects.filter(event=events[2], consumer="probe").exists()  # the sweep retries it


def test_a_bulk_emit_is_one_insert_and_one_task(seen, django_assert_num_queries):
    with transaction.atomic():
        with django_assert_num_queries(1):
            made = event_emit_many(type="recording.expired", items=[({"n": i}, None) for i in range(3)])
        assert seen == []
    assert len(made) == 3 and seen == ["recording.expired"] * 3
