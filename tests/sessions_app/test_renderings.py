"""The plain-row renderings of the hot reads write what the serializers write, for sessions in every
state, at several moments, in more than one time zone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from config.api.renderers import OrjsonRenderer
from sessions_app import renderings
from sessions_app.models import Session
from sessions_app.serializers import SessionSerializer, SessionStatusSerializer
from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory, SessionFactory
from tests.helpers.sessions import END_REQUESTED_BY_COACH, session_in_state

pytestmark = pytest.mark.django_db

S = Session.Status
STATES = [S.PENDING, S.CANCELLED, S.IN_PROGRESS, END_REQUESTED_BY_COACH, S.COMPLETED]


@pytest.fixture
def every_kind(coach, customer):
    """Sessions through the services in each state, and factory-made ones with the rarer fields."""
    # Each booked now, so each with people of its own.
    made = [session_in_state(state, coach=CoachFactory(), customer=CustomerFactory()) for state in STATES]
    base = timezone.now().replace(microsecond=123456) + timedelta(days=2)
    made += [
        SessionFactory(
            appointment=AppointmentFactory(coach=coach, start=base, duration_minutes=45),
            customer=customer,
            type=Session.Type.INSTANT,
            price=Decimal("7.5"),
            topic="Ünïcode ✓ \u2029",
            created_at=base - timedelta(minutes=3),
        ),
        SessionFactory(
            appointment=None,
            coach=coach,
            customer=customer,
            scheduled_start=base + timedelta(days=3),
            duration_minutes=30,
            status=S.CANCELLED,
            cancelled_at=base,
            cancelled_by=customer,
            late_cancellation=True,
            free_cancel_until=base - timedelta(hours=1),
        ),
        SessionFactory(
            appointment=AppointmentFactory(coach=coach, start=base - timedelta(days=9)),
            customer=customer,
            status=S.COMPLETED,
            started_at=base - timedelta(days=9),
            ended_at=base - timedelta(days=9) + timedelta(minutes=59, microseconds=1),
            attendance_coach="LATE",
            attendance_customer="ABSENT",
            outcome="CUSTOMER_NO_SHOW",
            confirmed_at=base - timedelta(days=8),
        ),
    ]
    return made


def _json(data) -> bytes:
    return OrjsonRenderer().render(data)


def _status_by_serializer(session: Session, now) -> dict:
    return SessionStatusSerializer(
        {
            "status": session.status,
            **renderings.session_timing(session, now),
            "end_requested_by": session.end_requested_by_id,
            "scheduled_end": session.scheduled_end,
        }
    ).data


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
@pytest.mark.parametrize("offset_minutes", [-60 * 24 * 20, -5, 0, 30, 60 * 24 * 4])
def test_list_rows_render_the_serializers_document(every_kind, zone, offset_minutes):
    queryset = Session.objects.filter(pk__in=[s.pk for s in every_kind]).order_by("-scheduled_start", "-number")
    now = timezone.now() + timedelta(minutes=offset_minutes)
    with timezone.override(zone):
        by_serializer = SessionSerializer(queryset, many=True, context={"now": now}).data
        by_rows = renderings.session_list_rows(queryset.values(*renderings.LIST_COLUMNS), now=now)
    assert len(by_rows) == len(every_kind) == 8
    assert _json(by_rows) == _json(by_serializer)
    assert list(by_rows[0]) == SessionSerializer.Meta.fields


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
@pytest.mark.parametrize("offset_minutes", [-60 * 24 * 20, -5, 0, 30, 60 * 24 * 4])
def test_status_rows_render_the_serializers_document(every_kind, zone, offset_minutes):
    now = timezone.now() + timedelta(minutes=offset_minutes)
    with timezone.override(zone):
        for session in every_kind:
            row = Session.objects.filter(pk=session.pk).values(*renderings.STATUS_COLUMNS).get()
            by_row = renderings.session_status_row(row, now=now)
            assert _json(by_row) == _json(_status_by_serializer(session, now)), session.status
