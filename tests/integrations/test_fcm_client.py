"""The FCM client against the local FCM server: the environment's proxy settings still apply,
though they are read once per session instead of on every request."""

from __future__ import annotations

import threading

import pytest

from integrations import fcm
from tests.helpers.services import free_port
from tests.notifications.fake_fcm import FakeFcm, write_service_account


@pytest.fixture
def server():
    fake = FakeFcm()
    fake.start()
    yield fake
    fake.stop()


def _client(server, tmp_path) -> fcm.FcmClient:
    credentials = write_service_account(tmp_path / "sa.json", server)
    return fcm.FcmClient(credentials_file=str(credentials), base_url=server.base_url, timeout=5)


def _send_in_a_new_thread(client, token: str):
    """A new sending thread gets a new session (sessions are per thread), made under the current environment."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(client.send(fcm.PushMessage(token=token, title="t", body="b", data={})))
        except fcm.FcmError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return outcome[0]


def test_a_proxy_in_the_environment_is_used_and_no_proxy_is_honoured(server, tmp_path, monkeypatch):
    client = _client(server, tmp_path)
    assert _send_in_a_new_thread(client, "first").startswith("projects/")  # the access token is fetched
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    refused = _send_in_a_new_thread(client, "through-the-proxy")
    assert isinstance(refused, fcm.FcmError) and refused.transient
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    assert _send_in_a_new_thread(client, "around-the-proxy").startswith("projects/")
    assert [m["message"]["token"] for m in server.messages] == ["first", "around-the-proxy"]
