from __future__ import annotations

import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from knox.models import AuthToken
from rest_framework.test import APIClient

from config.asgi import application
from config.settings.services import redis_channel_layer
from sessions_app.models import Session
from tests.chat import files
from tests.helpers.chat import messages_url, upload
from tests.helpers.sessions import session_made

# The consumer reads the database from another thread and events are sent after commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings):
    # One event loop per test: the in-memory layer keeps them fast; the Redis layer has its own test.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def token_for(user) -> str:
    _, token = AuthToken.objects.create(user=user)
    return token


def communicator(session_id, token: str | None = None, **kwargs) -> WebsocketCommunicator:
    path = f"/ws/sessions/{session_id}/"
    if token is not None:
        path += f"?token={token}"
    return WebsocketCommunicator(application, path, headers=[(b"host", b"testserver")], **kwargs)


async def assert_refused(comm: WebsocketCommunicator, code: int) -> None:
    connected, _ = await comm.connect()
    if connected:
        output = await comm.receive_output(timeout=5)
        assert output == {"type": "websocket.close", "code": code}
        await comm.disconnect()  # the client answers the close; the consumer then ends
    else:
        assert _ == code


def test_participant_receives_message_created_after_a_rest_send(api, live_session, coach, customer):
    token = token_for(coach)
    client = api(customer)

    async def scenario():
        comm = communicator(live_session.id, token)
        connected, _ = await comm.connect()
        assert connected
        res = await sync_to_async(client.post)(
            messages_url(live_session), {"text": "hi", "file": upload("a.png", files.png())}, format="multipart"
        )
        assert res.status_code == 201
        event = await comm.receive_json_from(timeout=5)
        assert event["type"] == "message.created"
        assert event["message"]["id"] == res.json()["id"]
        assert event["message"]["text"] == "hi"
        assert event["message"]["sender"] == {"id": str(customer.id), "role": "customer"}
        # The same absolute media endpoint the REST answer gave.
        assert event["message"]["media"] == res.json()["media"]
        assert await comm.receive_nothing(timeout=0.2)
        await comm.disconnect()

    async_to_sync(scenario)()


def test_participant_receives_session_updated_after_a_transition(api, live_session, customer):
    token = token_for(customer)
    client = api(customer)

    async def scenario():
        comm = communicator(live_session.id, token)
        assert (await comm.connect())[0]
        res = await sync_to_async(client.post)(f"/api/v1/sessions/{live_session.id}/end")
        assert res.status_code == 200, res.json()
        event = await comm.receive_json_from(timeout=5)
        assert event["type"] == "session.updated"
        assert event["session"]["id"] == str(live_session.id)
        assert event["session"]["status"] == Session.Status.END_REQUEST_PENDING
        assert event["session"]["end_requested_by"] == str(customer.id)
        await comm.disconnect()

    async_to_sync(scenario)()


def test_ping_is_answered_and_garbage_is_ignored(live_session, customer):
    token = token_for(customer)

    async def scenario():
        comm = communicator(live_session.id, token)
        assert (await comm.connect())[0]
        await comm.send_to(text_data="not json")
        await comm.send_json_to({"type": "ping"})
        assert await comm.receive_json_from(timeout=5) == {"type": "pong"}
        await comm.disconnect()

    async_to_sync(scenario)()


def test_outsider_socket_is_refused(live_session, outsider):
    token = token_for(outsider)
    async_to_sync(assert_refused)(communicator(live_session.id, token), 4404)


def test_unknown_session_socket_is_refused(customer):
    token = token_for(customer)
    async_to_sync(assert_refused)(communicator(uuid.uuid4(), token), 4404)


@pytest.mark.parametrize("path", ["/ws/sessions/xyz/", "/ws/sessions/", "/ws/nothing/", "/"])
def test_unknown_socket_paths_are_closed_with_4404(customer, path):
    comm = WebsocketCommunicator(application, f"{path}?token={token_for(customer)}", headers=[(b"host", b"t")])
    async_to_sync(assert_refused)(comm, 4404)


@pytest.mark.parametrize(
    "token",
    [None, "", "not-a-real-token", "a" * 64, "%00", "ab%00cd" * 10, "%C3%A9" * 20, "%FF%FE"],
    ids=["none", "empty", "short", "long", "nul", "nul-inside", "non-ascii", "not-utf8"],
)
def test_anonymous_or_bad_token_socket_is_refused(live_session, token):
    async_to_sync(assert_refused)(communicator(live_session.id, token), 4401)


def test_revoked_token_socket_is_refused(live_session, customer):
    token = token_for(customer)
    AuthToken.objects.filter(user=customer).delete()
    async_to_sync(assert_refused)(communicator(live_session.id, token), 4401)


@pytest.mark.parametrize("how", ["logout", "expiry"])
def test_an_open_socket_is_closed_once_its_token_is_revoked_or_expired(api, live_session, coach, customer, how):
    from datetime import timedelta

    from django.utils import timezone

    token = token_for(coach)
    client = api(customer)

    async def scenario():
        comm = communicator(live_session.id, token)
        assert (await comm.connect())[0]
        if how == "logout":
            res = await sync_to_async(APIClient().post)("/api/v1/auth/logout", HTTP_AUTHORIZATION=f"Bearer {token}")
            assert res.status_code == 204
        else:
            past = timezone.now() - timedelta(seconds=1)
            await sync_to_async(AuthToken.objects.filter(user=coach).update)(expiry=past)
        res = await sync_to_async(client.post)(messages_url(live_session), {"text": "after"}, format="json")
        assert res.status_code == 201
        output = await comm.receive_output(timeout=5)
        assert output == {"type": "websocket.close", "code": 4401}  # closed, the message not delivered
        await comm.disconnect()

    async_to_sync(scenario)()


def test_an_open_socket_of_a_deactivated_user_is_closed(api, live_session, coach, customer):
    token = token_for(coach)
    client = api(customer)

    async def scenario():
        comm = communicator(live_session.id, token)
        assert (await comm.connect())[0]
        await sync_to_async(type(coach).objects.filter(pk=coach.pk).update)(is_active=False)
        res = await sync_to_async(client.post)(messages_url(live_session), {"text": "after"}, format="json")
        assert res.status_code == 201
        assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
        await comm.disconnect()

    async_to_sync(scenario)()


def test_binary_frames_are_ignored_and_the_socket_stays_open(live_session, customer):
    token = token_for(customer)

    async def scenario():
        comm = communicator(live_session.id, token)
        assert (await comm.connect())[0]
        await comm.send_to(bytes_data=b"\x00\x01binary")
        await comm.send_json_to({"type": "ping"})
        assert await comm.receive_json_from(timeout=5) == {"type": "pong"}
        await comm.disconnect()

    async_to_sync(scenario)()


def test_events_of_other_sessions_are_not_delivered(api, other_coach, customer, outsider, live_session):
    other = session_made(coach=other_coach, customer=outsider)
    token = token_for(customer)
    client = api(outsider)

    async def scenario():
        comm = communicator(live_session.id, token)
        assert (await comm.connect())[0]
        res = await sync_to_async(client.post)(messages_url(other), {"text": "elsewhere"}, format="json")
        assert res.status_code == 201
        assert await comm.receive_nothing(timeout=0.3)
        await comm.disconnect()

    async_to_sync(scenario)()


def _project_redis_layer(redis_url: str, prefix: str) -> dict:
    """The layer as production configures it, on the test's Redis, under a prefix of this test's own."""
    layer = redis_channel_layer(redis_url)
    layer["CONFIG"]["prefix"] = f"{prefix}-{uuid.uuid4().hex[:8]}"
    return layer


def test_an_idle_socket_outlives_the_redis_layers_blocking_pop(api, settings, redis_url, live_session, coach, customer):
    """The project's own layer settings: a socket with nothing to receive for longer than the layer's
    5 s blocking pop (and redis-py's default 5 s read timeout) stays open and still gets the next push."""
    settings.CHANNEL_LAYERS = {"default": _project_redis_layer(redis_url, "test-idle")}
    token = token_for(coach)
    client = api(customer)

    async def scenario():
        comm = communicator(live_session.id, token)
        assert (await comm.connect())[0]
        assert await comm.receive_nothing(timeout=7.5)  # past one blocking pop and its read timeout
        res = await sync_to_async(client.post)(messages_url(live_session), {"text": "after a pause"}, format="json")
        assert res.status_code == 201
        event = await comm.receive_json_from(timeout=5)
        assert event == {"type": "message.created", "message": res.json()}
        await comm.disconnect()

    async_to_sync(scenario)()


def test_delivery_over_the_redis_channel_layer(api, settings, redis_url, live_session, coach, customer):
    settings.CHANNEL_LAYERS = {"default": _project_redis_layer(redis_url, "test-chat")}
    token = token_for(coach)
    client = api(customer)

    async def scenario():
        from channels.layers import get_channel_layer

        assert type(get_channel_layer()).__name__ == "RedisChannelLayer"
        comm = communicator(live_session.id, token)
        assert (await comm.connect())[0]
        res = await sync_to_async(client.post)(messages_url(live_session), {"text": "via redis"}, format="json")
        assert res.status_code == 201
        event = await comm.receive_json_from(timeout=5)
        assert event == {"type": "message.created", "message": res.json()}
        res = await sync_to_async(client.post)(f"/api/v1/sessions/{live_session.id}/end")
        event = await comm.receive_json_from(timeout=5)
        assert event["type"] == "session.updated"
        assert event["session"]["status"] == "END_REQUEST_PENDING"
        await comm.disconnect()

    async_to_sync(scenario)()
