from __future__ import annotations

import base64
import uuid

import pytest
from django.utils import timezone

from chat.models import Message
from sessions_app.models import Session
from tests.chat.files import png
from tests.factories import MessageFactory
from tests.helpers.chat import messages_url, upload
from tests.helpers.sessions import session_made

pytestmark = pytest.mark.django_db


def test_participant_sends_text_and_gets_the_message_shape(api, live_session, customer):
    res = api(customer).post(messages_url(live_session), {"text": "Hello coach"}, format="json")

    assert res.status_code == 201, res.json()
    body = res.json()
    assert set(body) == {"id", "sender", "text", "media", "created_at"}
    assert body["sender"] == {"id": str(customer.id), "role": "customer"}
    assert body["text"] == "Hello coach"
    assert body["media"] is None
    assert body["created_at"].endswith("Z")
    message = Message.objects.get(pk=body["id"])
    assert message.session_id == live_session.id
    assert message.sender_id == customer.id


def test_coach_can_send_while_end_request_is_pending(api, coach, customer):
    session = session_made(Session.Status.END_REQUEST_PENDING, coach=coach, customer=customer)
    res = api(coach).post(messages_url(session), {"text": "One more thing"}, format="json")
    assert res.status_code == 201, res.json()
    assert res.json()["sender"]["role"] == "coach"


def test_multipart_with_text_and_file_stores_both(api, live_session, customer):
    res = api(customer).post(
        messages_url(live_session), {"text": "look", "file": upload("a.png", png())}, format="multipart"
    )
    assert res.status_code == 201, res.json()
    media = res.json()["media"]
    assert media["kind"] == "image"
    assert media["url"] == f"http://testserver/api/v1/sessions/{live_session.id}/messages/{res.json()['id']}/media"
    assert Message.objects.get().text == "look"


@pytest.mark.parametrize(
    "payload",
    [{}, {"text": ""}, {"text": "   "}, {"text": "x" * 4001}],
    ids=["nothing", "empty", "blank", "too-long"],
)
def test_invalid_message_is_a_validation_error(api, live_session, customer, payload):
    res = api(customer).post(messages_url(live_session), payload, format="json")
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "validation_error"
    assert "text" in res.json()["error"]["fields"]
    assert not Message.objects.exists()


def test_text_of_exactly_4000_characters_is_accepted(api, live_session, customer):
    res = api(customer).post(messages_url(live_session), {"text": "x" * 4000}, format="json")
    assert res.status_code == 201


@pytest.mark.parametrize("status", ["PENDING", "COMPLETED", "CANCELLED"])
def test_send_is_refused_when_the_session_is_not_active(api, coach, customer, status):
    session = session_made(status, coach=coach, customer=customer)
    res = api(customer).post(messages_url(session), {"text": "hi"}, format="json")
    assert res.status_code == 409
    assert res.json()["error"]["code"] == "chat_closed"
    assert not Message.objects.exists()


def test_media_send_refused_when_closed_leaves_no_file(api, coach, customer):
    from tests.helpers.chat import stored_files

    session = session_made(Session.Status.COMPLETED, coach=coach, customer=customer)
    res = api(customer).post(messages_url(session), {"file": upload("a.png", png())}, format="multipart")
    assert res.json()["error"]["code"] == "chat_closed"
    assert stored_files() == []


def test_history_is_readable_after_completion(api, coach, customer, live_session):
    client = api(customer)
    client.post(messages_url(live_session), {"text": "during"}, format="json")
    Session.objects.filter(pk=live_session.pk).update(status=Session.Status.COMPLETED, ended_at=timezone.now())

    for user in (customer, coach):
        res = api(user).get(messages_url(live_session))
        assert res.status_code == 200
        assert [m["text"] for m in res.json()["results"]] == ["during"]


def test_outsider_gets_404_on_every_chat_endpoint(api, outsider, live_session):
    message = MessageFactory(session=live_session)
    client = api(outsider)
    base = messages_url(live_session)
    responses = [
        client.get(base),
        client.post(base, {"text": "sneaky"}, format="json"),
        client.get(f"{base}/{message.id}/media"),
    ]
    for res in responses:
        assert res.status_code == 404
        assert res.json()["error"]["code"] == "not_found"
    assert Message.objects.count() == 1


def test_staff_is_not_a_participant_either(api, staff, live_session):
    assert api(staff).get(messages_url(live_session)).status_code == 404


def test_without_a_token_every_chat_endpoint_is_401(anon_client, live_session):
    message = MessageFactory(session=live_session)
    base = messages_url(live_session)
    for res in (
        anon_client.get(base),
        anon_client.post(base, {"text": "hi"}, format="json"),
        anon_client.get(f"{base}/{message.id}/media"),
    ):
        assert res.status_code == 401
        assert res.json()["error"]["code"] == "not_authenticated"
    assert Message.objects.count() == 1


def test_unknown_session_or_message_is_404(api, customer, live_session):
    client = api(customer)
    assert client.get(f"/api/v1/sessions/{uuid.uuid4()}/messages").status_code == 404
    assert client.get(f"{messages_url(live_session)}/{uuid.uuid4()}/media").status_code == 404


def test_media_endpoint_of_a_text_message_is_404(api, customer, live_session):
    message = MessageFactory(session=live_session)
    res = api(customer).get(f"{messages_url(live_session)}/{message.id}/media")
    assert res.status_code == 404


def test_send_rate_limit_answers_429_throttled(api, settings, live_session, customer, coach):
    settings.CHAT_MESSAGES_PER_MINUTE = 3
    client = api(customer)
    codes = [client.post(messages_url(live_session), {"text": f"m{i}"}, format="json").status_code for i in range(4)]

    assert codes == [201, 201, 201, 429]
    res = client.post(messages_url(live_session), {"text": "again"}, format="json")
    assert res.json()["error"]["code"] == "throttled"
    assert int(res["Retry-After"]) >= 1
    assert Message.objects.count() == 3
    # The limit is per user: the other participant still talks.
    assert api(coach).post(messages_url(live_session), {"text": "fine"}, format="json").status_code == 201


def test_cursor_pagination_walks_forward_without_gaps_or_repeats_while_messages_arrive(api, live_session, customer):
    client = api(customer)
    for i in range(5):
        MessageFactory(session=live_session, text=f"m{i}")

    first = client.get(messages_url(live_session), {"page_size": 2}).json()
    assert set(first) >= {"next", "previous", "results"}
    assert [m["text"] for m in first["results"]] == ["m0", "m1"]
    assert first["previous"] is None
    assert first["next"].startswith("http://testserver/api/v1/sessions/")

    # New messages arrive while the client pages: nothing shifts.
    MessageFactory(session=live_session, text="m5")
    second = client.get(first["next"]).json()
    assert [m["text"] for m in second["results"]] == ["m2", "m3"]
    third = client.get(second["next"]).json()
    assert [m["text"] for m in third["results"]] == ["m4", "m5"]
    assert third["next"] is None
    back = client.get(third["previous"]).json()
    assert [m["text"] for m in back["results"]] == ["m2", "m3"]


def test_newest_first_order_pages_backwards_in_time(api, live_session, customer):
    for i in range(3):
        MessageFactory(session=live_session, text=f"m{i}")
    client = api(customer)
    page = client.get(messages_url(live_session), {"order": "newest", "page_size": 2}).json()
    assert [m["text"] for m in page["results"]] == ["m2", "m1"]
    assert [m["text"] for m in client.get(page["next"]).json()["results"]] == ["m0"]


def test_messages_of_other_sessions_are_not_listed(api, coach, customer, live_session):
    MessageFactory(session=live_session, text="mine")
    MessageFactory(text="elsewhere")
    res = api(customer).get(messages_url(live_session))
    assert [m["text"] for m in res.json()["results"]] == ["mine"]


def test_message_list_query_count_does_not_grow_with_page_size(
    api, live_session, customer, coach, django_assert_max_num_queries
):
    for i in range(30):
        MessageFactory(session=live_session, sender=coach if i % 2 else customer, text=f"m{i}")
    client = api(customer)
    with django_assert_max_num_queries(6) as small:
        assert len(client.get(messages_url(live_session), {"page_size": 2}).json()["results"]) == 2
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(messages_url(live_session), {"page_size": 30}).json()["results"]) == 30


def test_report_counts_messages_and_media(api, live_session, customer):
    client = api(customer)
    client.post(messages_url(live_session), {"text": "a"}, format="json")
    client.post(messages_url(live_session), {"text": "b", "file": upload("x.png", png())}, format="multipart")
    client.post(messages_url(live_session), {"file": upload("y.png", png())}, format="multipart")
    Session.objects.filter(pk=live_session.pk).update(status=Session.Status.COMPLETED, ended_at=timezone.now())

    res = client.get(f"/api/v1/sessions/{live_session.id}/report")
    assert res.status_code == 200, res.json()
    assert res.json()["messages_count"] == 3
    assert res.json()["media_count"] == 2


def test_start_call_returns_the_latest_messages_oldest_first(api, live_session, customer):
    for i in range(3):
        MessageFactory(session=live_session, text=f"m{i}")
    res = api(customer).post(f"/api/v1/sessions/{live_session.id}/start-call")
    assert res.status_code == 200, res.json()
    assert [m["text"] for m in res.json()["messages"]] == ["m0", "m1", "m2"]


def test_messages_for_call_keeps_only_the_latest(live_session, rf):
    from chat.parts import call_messages
    from chat.selectors import messages_latest

    for i in range(5):
        MessageFactory(session=live_session, text=f"m{i}")
    out = call_messages.render(messages_latest(session=live_session, limit=2), rf.get("/"))["messages"]
    assert [m["text"] for m in out] == ["m3", "m4"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        _b64("zzz"),  # decodes, but is no cursor: not a silent first page
        _b64("p=yesterday"),
        _b64("p=2026-01-01 10:00:00"),  # a position without an offset
        _b64("o=1&x=2"),
        _b64("o=1&o=2"),
        _b64("o=-1"),
        _b64("p=2024-01-01 00:00:00+23:59"),  # an offset PostgreSQL refuses
        _b64("p=0001-01-01 00:00:00+05:00"),  # overflows on the way to UTC
        _b64("p=9999-12-31 23:59:59-05:00"),
        "%%%",
    ],
)
def test_a_forged_cursor_is_a_400(api, live_session, customer, cursor):
    MessageFactory(session=live_session, text="m")
    res = api(customer).get(f"/api/v1/sessions/{live_session.id}/messages", {"cursor": cursor})
    assert res.status_code == 400
    assert res.json()["error"]["fields"]["cursor"]


def test_the_cursors_the_api_hands_out_work_both_ways(api, live_session, customer):
    for i in range(5):
        MessageFactory(session=live_session, text=f"m{i}")
    client = api(customer)
    first = client.get(messages_url(live_session), {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    assert [m["text"] for m in second["results"]] == ["m2", "m3"]
    back = client.get(second["previous"]).json()
    assert [m["text"] for m in back["results"]] == ["m0", "m1"]
