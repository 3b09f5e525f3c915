"""Inbox, preferences and devices endpoints (SPEC 8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import Device, Notification, NotificationPreference

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/me/notifications"
PREFS = "/api/v1/me/notification-preferences"
DEVICES = "/api/v1/me/devices"


def _notify(user, n: int, *, kind=Kind.SESSION_BOOKED, read=False, start=0) -> list[Notification]:
    base = timezone.now() - timedelta(hours=1)
    rows = [
        Notification(
            recipient=user,
            kind=kind,
            title=f"Title {start + i}",
            body="Body",
            data={"session_id": "x"},
            created_at=base + timedelta(seconds=start + i),
            read_at=base if read else None,
        )
        for i in range(n)
    ]
    return Notification.objects.bulk_create(rows)


def test_inbox_lists_newest_first_with_the_spec_shape(api, customer, outsider):
    _notify(customer, 3)
    _notify(outsider, 2)
    res = api(customer).get(INBOX)
    assert res.status_code == 200
    body = res.json()
    assert body["count"] == 3
    assert [r["title"] for r in body["results"]] == ["Title 2", "Title 1", "Title 0"]
    assert set(body["results"][0]) == {"id", "kind", "title", "body", "data", "created_at", "read_at"}


def test_inbox_hides_planned_reminders_and_account_emails(api, customer):
    _notify(customer, 1)
    Notification.objects.create(recipient=customer, kind=Kind.SESSION_REMINDER, state=Notification.State.PLANNED)
    Notification.objects.create(recipient=customer, kind=Kind.ACCOUNT_EMAIL, title="Reset your password")
    assert api(customer).get(INBOX).json()["count"] == 1


def test_unread_filter_and_bad_values(api, customer):
    _notify(customer, 2)
    _notify(customer, 3, read=True, start=10)
    client = api(customer)
    assert client.get(INBOX + "?unread=true").json()["count"] == 2
    assert client.get(INBOX + "?unread=false").json()["count"] == 3
    res = client.get(INBOX + "?unread=maybe")
    assert res.status_code == 400 and res.json()["error"]["code"] == "validation_error"


def test_inbox_is_paginated_like_other_lists(api, customer):
    _notify(customer, 25)
    client = api(customer)
    body = client.get(INBOX).json()
    assert body["count"] == 25 and len(body["results"]) == 20 and body["next"]
    assert len(client.get(INBOX + "?page=2").json()["results"]) == 5
    assert client.get(INBOX + "?page=9").status_code == 404


def test_inbox_query_count_does_not_grow_with_rows(api, customer, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(customer)
    _notify(customer, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(INBOX + "?page_size=100").status_code == 200
    _notify(customer, 60, start=100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        res = client.get(INBOX + "?page_size=100")
    assert len(res.json()["results"]) == 63


def test_read_marks_one_and_keeps_the_first_time(api, customer):
    first, second = _notify(customer, 2)
    client = api(customer)
    res = client.post(f"{INBOX}/{first.pk}/read")
    assert res.status_code == 200 and res.json()["read_at"]
    first.refresh_from_db()
    read_at = first.read_at
    assert client.post(f"{INBOX}/{first.pk}/read").json()["id"] == str(first.pk)
    first.refresh_from_db()
    assert first.read_at == read_at
    second.refresh_from_db()
    assert second.read_at is None


def test_read_someone_elses_notification_is_404(api, customer, outsider):
    (theirs,) = _notify(outsider, 1)
    res = api(customer).post(f"{INBOX}/{theirs.pk}/read")
    assert res.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_is_204_and_touches_only_mine(api, customer, outsider):
    _notify(customer, 4)
    _notify(outsider, 2)
    res = api(customer).post(f"{INBOX}/read-all")
    assert res.status_code == 204
    assert not Notification.objects.filter(recipient=customer, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=outsider, read_at__isnull=True).count() == 2


def test_inbox_needs_a_login(anon_client):
    assert anon_client.get(INBOX).status_code == 401


# --- preferences ---------------------------------------------------------------------------------------


def test_preferences_default_to_every_kind(api, customer):
    body = api(customer).get(PREFS).json()
    assert set(body["email"]) == set(Kind.values)
    assert set(body["push"]) == set(Kind.values) - {Kind.ACCOUNT_EMAIL}
    assert body["email"]["account_email"] is True
    assert body["push"]["session_reminder"] is True


def test_put_preferences_changes_what_it_names(api, customer):
    client = api(customer)
    res = client.put(PREFS, {"email": {"session_reminder": False}, "push": {"session_booked": False}}, format="json")
    assert res.status_code == 200
    assert res.json()["email"]["session_reminder"] is False
    assert res.json()["email"]["session_booked"] is True
    assert res.json()["push"]["session_booked"] is False
    assert client.get(PREFS).json() == res.json()
    row = NotificationPreference.objects.get(user=customer)
    assert row.email == {"session_reminder": False}


def test_account_email_cannot_be_switched_off(api, customer):
    res = api(customer).put(PREFS, {"email": {"account_email": False}}, format="json")
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "validation_error"
    assert "email" in res.json()["error"]["fields"]
    assert not NotificationPreference.objects.filter(user=customer).exists()


@pytest.mark.parametrize(
    "body", [{"email": {"no_such_kind": True}}, {"push": {"account_email": True}}, {"push": {"session_booked": "x"}}]
)
def test_bad_preferences_are_400(api, customer, body):
    res = api(customer).put(PREFS, body, format="json")
    assert res.status_code == 400
    assert not NotificationPreference.objects.filter(user=customer).exists()


# --- devices -----------------------------------------------------------------------------------------------


def test_register_a_device_then_the_same_token_again(api, customer, outsider):
    res = api(customer).post(DEVICES, {"platform": "android", "token": "tok-1"}, format="json")
    assert res.status_code == 201
    assert set(res.json()) == {"id", "platform", "created_at"}
    again = api(outsider).post(DEVICES, {"platform": "ios", "token": "tok-1"}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == res.json()["id"]
    device = Device.objects.get(token="tok-1")
    assert device.user == outsider and device.platform == "ios"
    assert Device.objects.count() == 1


def test_bad_device_input_is_400(api, customer):
    client = api(customer)
    assert client.post(DEVICES, {"platform": "symbian", "token": "x"}, format="json").status_code == 400
    assert client.post(DEVICES, {"platform": "web", "token": ""}, format="json").status_code == 400
    assert client.post(DEVICES, {"platform": "web", "token": "x" * 513}, format="json").status_code == 400
    assert not Device.objects.exists()


def test_delete_device(api, customer, outsider):
    device = Device.objects.create(user=customer, platform="web", token="tok-2")
    assert api(outsider).delete(f"{DEVICES}/{device.pk}").status_code == 404
    assert Device.objects.filter(pk=device.pk).exists()
    assert api(customer).delete(f"{DEVICES}/{device.pk}").status_code == 204
    assert not Device.objects.filter(pk=device.pk).exists()
    assert api(customer).delete(f"{DEVICES}/{device.pk}").status_code == 404
