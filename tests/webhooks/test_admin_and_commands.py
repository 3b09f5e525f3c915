"""The staff side: the admin (secret shown once, rotation, redeliver, failed and disabled visible)
and the commands."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from events.services import event_emit
from tests.webhooks.receiver import signature_valid
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def test_webhook_endpoint_add_prints_the_id_and_the_secret_once(local_urls, receiver):
    out = StringIO()
    call_command("webhook_endpoint_add", receiver.url("/cli"), "--events", "session.booked,coach.verified", stdout=out)
    endpoint = WebhookEndpoint.objects.get()
    text = out.getvalue()
    assert f"id: {endpoint.pk}" in text
    assert f"secret: {endpoint.secret}" in text
    assert endpoint.event_types == ["session.booked", "coach.verified"]

    listed = StringIO()
    call_command("webhook_endpoint_list", stdout=listed)
    assert str(endpoint.pk) in listed.getvalue() and "active" in listed.getvalue()
    assert "whsec_" not in listed.getvalue()


def test_webhook_endpoint_add_refuses_private_and_unknown(db):
    with pytest.raises(CommandError, match="loopback"):
        call_command("webhook_endpoint_add", "http://127.0.0.1/x")
    with pytest.raises(CommandError, match="Unknown event type"):
        call_command("webhook_endpoint_add", "https://93.184.216.34/x", "--events", "session.eaten")
    assert not WebhookEndpoint.objects.exists()


def test_adding_in_the_admin_shows_the_secret_on_that_page_only(admin_client, local_urls, receiver):
    res = admin_client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {"url": receiver.url("/admin"), "description": "CRM", "event_types": ["session.booked"], "is_active": "on"},
    )
    assert res.status_code == 200, res.content[:500]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in res.content.decode()
    assert "no-store" in res["Cache-Control"]
    assert endpoint.event_types == ["session.booked"] and endpoint.description == "CRM"
    # Never again: not on the change page, not in the list.
    for page in (f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/", "/admin/webhooks/webhookendpoint/"):
        assert not SECRET.search(admin_client.get(page).content.decode())


def test_the_admin_refuses_a_private_url(admin_client):
    res = admin_client.post(
        "/admin/webhooks/webhookendpoint/add/", {"url": "http://169.254.169.254/", "is_active": "on"}
    )
    assert res.status_code == 200
    assert "metadata" in res.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_rotate_secret_shows_the_new_one_once_and_signs_with_it(admin_client, endpoint_for, receiver):
    endpoint, old = endpoint_for("/rot")
    res = admin_client.post(
        "/admin/webhooks/webhookendpoint/", {"action": "rotate_secret", "_selected_action": [str(endpoint.pk)]}
    )
    assert res.status_code == 200
    (new,) = SECRET.findall(res.content.decode())
    endpoint.refresh_from_db()
    assert new == endpoint.secret != old
    services.webhooks_fan_out(event_emit(type="coach.verified", data={}))
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)
    (got,) = receiver.at("/rot")
    assert signature_valid(new, got.headers, got.body)


def test_failed_deliveries_and_disabled_endpoints_are_one_filter_away_and_redeliverable(
    admin_client, endpoint_for, receiver, django_capture_on_commit_callbacks
):
    endpoint, _ = endpoint_for("/bad")
    receiver.script("/bad", 500)
    services.webhooks_fan_out(event_emit(type="coach.verified", data={}))
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)
    WebhookDelivery.objects.update(status="FAILED", next_attempt_at=None)
    services.webhook_endpoint_disable(endpoint=endpoint, reason="Every delivery failed for 5 days")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_at=endpoint.updated_at)
    delivery = WebhookDelivery.objects.get()

    failed = admin_client.get("/admin/webhooks/webhookdelivery/?outcome=failed")
    assert failed.status_code == 200 and str(delivery.pk) in failed.content.decode()
    page = admin_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert "HTTP 500" in page  # the attempt, inline
    disabled = admin_client.get("/admin/webhooks/webhookendpoint/?state=disabled").content.decode()
    assert receiver.url("/bad") in disabled

    admin_client.post("/admin/webhooks/webhookendpoint/", {"action": "enable", "_selected_action": [str(endpoint.pk)]})
    with django_capture_on_commit_callbacks(execute=True):
        res = admin_client.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [str(delivery.pk)]},
            follow=True,
        )
    assert res.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == "SUCCEEDED"  # eager: sent right after the action (the second answer is 200)
    assert len(receiver.at("/bad")) == 2 and delivery.history.count() == 2


def test_staff_without_webhook_rights_do_not_see_deliveries(client, endpoint_for):
    from tests.factories import StaffFactory

    viewer = StaffFactory(is_superuser=False)
    client.force_login(viewer)
    endpoint, _ = endpoint_for("/x")
    assert client.get("/admin/webhooks/webhookdelivery/").status_code == 403


def test_staff_actions_on_endpoints_and_deliveries_are_in_their_history(admin_client, endpoint_for, receiver):
    from django.contrib.admin.models import LogEntry

    endpoint, _ = endpoint_for("/audited")
    services.webhooks_fan_out(event_emit(type="coach.verified", data={}))
    delivery = WebhookDelivery.objects.get()
    for action in ("rotate_secret", "disable", "enable"):
        admin_client.post(
            "/admin/webhooks/webhookendpoint/", {"action": action, "_selected_action": [str(endpoint.pk)]}
        )
    admin_client.post(
        "/admin/webhooks/webhookdelivery/", {"action": "redeliver", "_selected_action": [str(delivery.pk)]}
    )

    def history(obj) -> list[str]:
        rows = LogEntry.objects.filter(object_id=str(obj.pk), content_type__model=type(obj)._meta.model_name)
        return list(rows.order_by("pk").values_list("change_message", flat=True))

    assert [m.split(" by staff")[0] for m in history(endpoint)] == ["Secret rotated", "Switched off", "Enabled"]
    assert history(delivery) == ["Redelivery asked by staff (a new round of attempts)."]
    page = admin_client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/history/").content.decode()
    assert "Switched off by staff." in page
