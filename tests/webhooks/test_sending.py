"""Sending to a real local receiver: signatures, retries on the schedule, timeouts, redirects,
answer caps, giving up, disabling, redelivering."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from events.services import event_emit
from tests.webhooks.receiver import signature_valid
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]


def _event(type="coach.verified", data=None):
    event = event_emit(type=type, data=data or {"coach_id": "c0ffee"})
    services.webhooks_fan_out(event)  # what the outbox consumer does after the commit
    return event


def test_a_delivery_is_signed_per_standard_webhooks_and_succeeds(endpoint_for, receiver):
    endpoint, secret = endpoint_for("/ok")
    event = _event()

    result = services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)

    assert (result.attempts, result.succeeded) == (1, 1)
    (got,) = receiver.at("/ok")
    assert signature_valid(secret, got.headers, got.body)
    assert not signature_valid("whsec_" + "A" * 44, got.headers, got.body)
    assert got.headers["webhook-id"] == str(event.pk)
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 5
    assert got.headers["content-type"] == "application/json"
    assert got.json == {
        "id": str(event.pk),
        "type": "coach.verified",
        "created_at": got.json["created_at"],
        "data": {"coach_id": "c0ffee"},
    }
    delivery = WebhookDelivery.objects.get(event=event, endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("SUCCEEDED", 1, None)
    (attempt,) = delivery.history.all()
    assert (attempt.status_code, attempt.succeeded, attempt.response_body) == (200, True, "ok")
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).last_success_at is not None


def test_a_500_is_retried_after_5_seconds_with_the_same_id_and_body(endpoint_for, receiver):
    endpoint, secret = endpoint_for("/flaky")
    receiver.script("/flaky", 500, 200)
    event = _event()
    now = timezone.now()

    first = services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now)
    delivery = WebhookDelivery.objects.get(event=event)
    assert (first.failed, delivery.status, delivery.attempts) == (1, "PENDING", 1)
    assert delivery.next_attempt_at == now + timedelta(seconds=5)
    assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
    # Not due yet: nothing is sent.
    assert services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now + timedelta(seconds=4)).attempts == 0

    second = services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now + timedelta(seconds=5))

    assert second.succeeded == 1
    one, two = receiver.at("/flaky")
    assert one.headers["webhook-id"] == two.headers["webhook-id"] == str(event.pk)
    assert one.body == two.body
    assert int(two.headers["webhook-timestamp"]) - int(one.headers["webhook-timestamp"]) == 5
    assert signature_valid(secret, two.headers, two.body)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("SUCCEEDED", 2)
    assert list(delivery.history.values_list("status_code", "succeeded")) == [(500, False), (200, True)]


def test_the_whole_schedule_then_failed(endpoint_for, receiver, settings):
    assert settings.WEBHOOK_RETRY_SCHEDULE_SECONDS == SCHEDULE
    endpoint, _ = endpoint_for("/down")
    receiver.script("/down", default={"status": 503})
    event = _event()
    at = timezone.now()
    gaps = []
    for _ in range(8):
        services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=at)
        delivery = WebhookDelivery.objects.get(event=event)
        if delivery.next_attempt_at:
            gaps.append(int((delivery.next_attempt_at - at).total_seconds()))
            at = delivery.next_attempt_at
    assert gaps == SCHEDULE
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("FAILED", 8, None)
    assert len(receiver.at("/down")) == 8
    assert services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=at + timedelta(days=1)).attempts == 0


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(endpoint_for, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.0
    endpoint, _ = endpoint_for("/slow")
    receiver.script("/slow", {"sleep": 2.5, "status": 200})
    _event()

    result = services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)

    assert result.failed == 1
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.error == "No answer within 1 s."
    assert 900 <= attempt.duration_ms < 2000
    assert WebhookDelivery.objects.get().status == "PENDING"


def test_redirects_are_not_followed(endpoint_for, receiver):
    endpoint, _ = endpoint_for("/moved")
    receiver.script("/moved", {"status": 302, "location": receiver.url("/elsewhere")})
    _event()

    result = services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)

    assert result.failed == 1
    assert receiver.at("/elsewhere") == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status_code == 302
    assert delivery.last_error == f"Redirect (302 to {receiver.url('/elsewhere')}) not followed."


def test_only_the_start_of_a_large_answer_is_read_and_kept(endpoint_for, receiver):
    endpoint, _ = endpoint_for("/chatty")
    receiver.script("/chatty", default={"status": 200, "body": b"x" * 5_000_000})
    _event()
    _event()

    result = services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)

    assert result.succeeded == 2  # the second on a new connection: the first was never drained
    assert {len(a.response_body) for a in WebhookAttempt.objects.all()} == {1024}


def test_many_deliveries_reuse_one_connection_and_each_is_recorded(endpoint_for, receiver):
    endpoint, secret = endpoint_for("/bulk")
    events = [_event() for _ in range(120)]  # more than one claimed batch

    result = services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)

    assert result.succeeded == 120
    got = receiver.at("/bulk")
    assert sorted(r.headers["webhook-id"] for r in got) == sorted(str(e.pk) for e in events)
    assert all(signature_valid(secret, r.headers, r.body) for r in got)
    assert len({r.peer for r in got}) == 1  # one kept-alive connection for all of them
    assert WebhookDelivery.objects.filter(status="SUCCEEDED").count() == 120
    assert WebhookAttempt.objects.count() == 120


def test_an_endpoint_failing_for_five_days_is_disabled(endpoint_for, receiver):
    endpoint, _ = endpoint_for("/dead")
    receiver.script("/dead", default={"status": 500})
    _event()
    now = timezone.now()
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now)
    endpoint.refresh_from_db()
    assert endpoint.failing_since == now and endpoint.is_active

    _event()
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now + timedelta(days=5, seconds=1))

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_at == now + timedelta(days=5, seconds=1)
    assert "failed for 5 days" in endpoint.disabled_reason
    # A disabled endpoint gets nothing more, and new events do not fan out to it.
    before = len(receiver.at("/dead"))
    assert services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now + timedelta(days=6)).attempts == 0
    event = _event()
    assert not WebhookDelivery.objects.filter(event=event).exists()
    assert len(receiver.at("/dead")) == before


def test_a_success_clears_the_failure_record(endpoint_for, receiver):
    endpoint, _ = endpoint_for("/recovers")
    receiver.script("/recovers", 500, 200)
    _event()
    now = timezone.now()
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now)
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now + timedelta(days=4, hours=23))
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.is_active


def test_redeliver_starts_a_new_round_and_keeps_the_history(endpoint_for, receiver):
    endpoint, _ = endpoint_for("/again")
    event = _event()
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)
    delivery = WebhookDelivery.objects.get(event=event)

    assert services.webhook_deliveries_redeliver(delivery_ids=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("PENDING", 0)
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)

    delivery.refresh_from_db()
    assert delivery.status == "SUCCEEDED"
    assert delivery.history.count() == 2
    assert [r.headers["webhook-id"] for r in receiver.at("/again")] == [str(event.pk)] * 2


def test_after_a_rotation_both_secrets_sign_for_a_day(endpoint_for, receiver):
    endpoint, old = endpoint_for("/rotating")
    new = services.webhook_endpoint_rotate_secret(endpoint=endpoint)
    assert new != old and new.startswith("whsec_")
    _event()
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)
    (got,) = receiver.at("/rotating")
    assert len(got.headers["webhook-signature"].split()) == 2
    assert signature_valid(new, got.headers, got.body) and signature_valid(old, got.headers, got.body)

    _event()
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=timezone.now() + timedelta(hours=25))
    late = receiver.at("/rotating")[1]
    assert signature_valid(new, late.headers, late.body) and not signature_valid(old, late.headers, late.body)


def test_a_sender_at_work_keeps_others_off_the_endpoint(endpoint_for, receiver):
    endpoint, _ = endpoint_for("/busy")
    _event()
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(sender_token="x", sender_until=now + timedelta(minutes=1))
    assert services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now).busy
    assert receiver.at("/busy") == []
    # A sender that died leaves a lease that lapses; then the delivery goes out.
    assert services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now + timedelta(minutes=2)).succeeded == 1


def test_the_body_is_the_event_as_the_spec_writes_it(endpoint_for, receiver):
    endpoint, _ = endpoint_for("/shape")
    event = _event(data={"coach_id": "x", "note": "ünïcode"})
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)
    (got,) = receiver.at("/shape")
    assert json.loads(got.body) == event.as_payload()
    assert got.body.isascii()
