from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from events import registry
from events.models import Event, EventReceipt
from events.services import event_dispatch, event_emit, events_dispatch_pending

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seen(monkeypatch):
    """A consumer registered for the test (the registry is the seam; nothing of ours is mocked)."""
    calls: list[str] = []
    saved = registry.consumers()
    registry.register_consumer("probe", lambda event: calls.append(event.type))
    yield calls
    registry._consumers.clear()
    registry._consumers.update(saved)


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
    assert EventReceipt.objects.filter(event=lost, consumer="probe").count() == 1


def test_unknown_types_are_refused():
    with pytest.raises(ValueError):
        event_emit(type="session.exploded", data={})
