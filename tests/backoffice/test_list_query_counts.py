"""Every list of the staff console runs as many queries for many rows as for few.

One maker per registered model: a model added to the admin without one fails
``test_every_admin_list_is_measured``, so no list escapes the measure.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from availability.models import TimeOff, WeeklyRule
from backoffice.models import JobHeartbeat
from events.models import Event
from notifications.models import Delivery, Device, Notification
from privacy.models import DataExport, ErasureRecord, PendingDeletion
from ratings.models import BlocklistWord
from recordings.models import WebhookEvent
from sessions_app.models import PostponeRequest, ProblemReport, Session
from tests.factories import (
    AppointmentFactory,
    CoachFactory,
    CustomerFactory,
    MessageFactory,
    RatingFactory,
    RecordingFactory,
    SessionFactory,
    StaffFactory,
)
from tests.helpers.admin import browser
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _unique() -> str:
    return uuid.uuid4().hex


def _postpone_request():
    session = SessionFactory(appointment__start=timezone.now() + timedelta(days=30))
    return PostponeRequest.objects.create(
        session=session,
        proposed_start=session.scheduled_start + timedelta(days=1),
        proposed_end=session.scheduled_end + timedelta(days=1),
        requested_by=session.coach,
        expires_at=timezone.now() + timedelta(hours=1),
    )


def _problem_report():
    session = SessionFactory(status=Session.Status.COMPLETED, appointment__start=timezone.now() - timedelta(days=3))
    return ProblemReport.objects.create(session=session, reported_by=session.customer, kind="OTHER", text="x")


def _notification():
    notification = Notification.objects.create(recipient=CustomerFactory(), kind="session_booked")
    Delivery.objects.create(notification=notification, channel="email", status="FAILED", last_error="refused")
    return notification


def _webhook_delivery():
    event = Event.objects.create(type="session.booked", data={}, session_id=SessionFactory().pk)
    endpoint = WebhookEndpoint.objects.create(url=f"https://example.com/{_unique()}", secret="s")
    return WebhookDelivery.objects.create(event=event, endpoint=endpoint, attempts=1)


def _auth_token():
    from knox.models import AuthToken

    return AuthToken.objects.create(user=CustomerFactory())


def _axes(model_name: str):
    from django.apps import apps

    fields = {"user_agent": "Firefox", "ip_address": "127.0.0.1", "username": _unique(), "http_accept": "*/*"}
    extra = {"AccessAttempt": {"get_data": "", "post_data": "", "failures_since_start": 1}}.get(model_name, {})
    return apps.get_model("axes", model_name).objects.create(path_info="/api/v1/auth/login", **fields, **extra)


MAKERS = {
    "auth.Group": lambda: Group.objects.create(name=_unique()),
    "knox.AuthToken": _auth_token,
    "axes.AccessAttempt": lambda: _axes("AccessAttempt"),
    "axes.AccessLog": lambda: _axes("AccessLog"),
    "axes.AccessFailureLog": lambda: _axes("AccessFailureLog"),
    "accounts.User": lambda: SessionFactory(),
    "accounts.CoachProfile": lambda: CoachFactory(),
    "events.Event": lambda: Event.objects.create(type="session.booked", data={}, session_id=SessionFactory().pk),
    "sessions_app.Session": lambda: SessionFactory(),
    "sessions_app.Appointment": lambda: (SessionFactory(), AppointmentFactory()),
    "sessions_app.PostponeRequest": _postpone_request,
    "sessions_app.ProblemReport": _problem_report,
    "chat.Message": lambda: MessageFactory(),
    "recordings.Recording": lambda: RecordingFactory(),
    "recordings.WebhookEvent": lambda: WebhookEvent.objects.create(key=_unique(), payload={}),
    "ratings.Rating": lambda: RatingFactory(status="FLAGGED", flag_reasons=["phone"]),
    "ratings.BlocklistWord": lambda: BlocklistWord.objects.create(word=_unique()),
    "availability.WeeklyRule": lambda: WeeklyRule.objects.create(
        coach=CoachFactory(), weekday=0, start_minute=540, end_minute=600, duration_minutes=60
    ),
    "availability.TimeOff": lambda: TimeOff.objects.create(
        coach=CoachFactory(), start=timezone.now(), end=timezone.now() + timedelta(hours=2)
    ),
    "notifications.Notification": _notification,
    "notifications.Delivery": _notification,
    "notifications.Device": lambda: Device.objects.create(user=CustomerFactory(), platform="ios", token=_unique()),
    "privacy.DataExport": lambda: DataExport.objects.create(user=CustomerFactory()),
    "privacy.ErasureRecord": lambda: ErasureRecord.objects.create(
        user=CustomerFactory(), user_ref=_unique(), requested_by=StaffFactory(), source="STAFF"
    ),
    "privacy.PendingDeletion": lambda: PendingDeletion.objects.create(name=_unique()),
    "webhooks.WebhookEndpoint": lambda: WebhookEndpoint.objects.create(url=f"https://e.com/{_unique()}", secret="s"),
    "webhooks.WebhookDelivery": _webhook_delivery,
    "backoffice.JobHeartbeat": lambda: JobHeartbeat.objects.create(name=_unique(), last_success_at=timezone.now()),
}


def test_every_admin_list_is_measured():
    registered = {model._meta.label for model in admin.site._registry}
    assert registered - set(MAKERS) == set(), "add a maker for each new admin list"


@pytest.mark.parametrize("label", sorted(MAKERS))
def test_the_list_runs_as_many_queries_for_many_rows_as_for_few(staff, label, django_assert_max_num_queries):
    make = MAKERS[label]
    model = next(m for m in admin.site._registry if m._meta.label == label)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    client = browser(staff)
    make()
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    for _ in range(12):
        make()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.context["cl"].result_count > 1  # the rows were there to be counted
