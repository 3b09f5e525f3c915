"""The FCM client against the local FCM server: the environment's proxy settings apply (read when
the client is made), and a token FCM refuses is exchanged again once."""

from __future__ import annotations

import pytest

from integrations import fcm
from tests.helpers.services import free_port
from tests.notifications.fake_fcm import FakeFcm, write_service_account

PROXY_VARIABLES = ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")


@pytest.fixture
def server():
    fake = FakeFcm()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def no_proxy_variables(monkeypatch):
    for name in (*PROXY_VARIABLES, "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _client(server, tmp_path) -> fcm.FcmClient:
    credentials = write_service_account(tmp_path / "sa.json", server)
    return fcm.FcmClient(credentials_file=str(credentials), base_url=server.base_url, timeout=5)


def _push(token: str) -> fcm.PushMessage:
    return fcm.PushMessage(token=token, title="t", body="b", data={"k": "v"})


def test_a_proxy_in_the_environment_is_used_and_no_proxy_is_honoured(server, tmp_path, no_proxy_variables):
    no_proxy_variables.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with pytest.raises(fcm.FcmError) as refused:
        _client(server, tmp_path).send(_push("through-the-proxy"))
    assert refused.value.transient
    no_proxy_variables.setenv("NO_PROXY", "127.0.0.1,localhost")
    assert _client(server, tmp_path).send(_push("around-the-proxy")).startswith("projects/")
    assert [m["message"]["token"] for m in server.messages] == ["around-the-proxy"]


def test_a_refused_token_is_exchanged_again_once(server, tmp_path, no_proxy_variables):
    client = _client(server, tmp_path)
    assert client.send(_push("a")).startswith("projects/")
    with server.lock:
        server.issued.clear()  # FCM no longer takes the token it handed out: 401
    assert client.send(_push("b")).startswith("projects/")
    assert server.token_requests == 2
    assert [m["message"]["data"] for m in server.messages] == [{"k": "v"}, {"k": "v"}]


class _Refusing(set):
    """Tokens are handed out (added) but never accepted (never found)."""

    def __contains__(self, item) -> bool:
        return False


def test_a_token_refused_again_is_an_auth_failure_not_a_loop(server, tmp_path, no_proxy_variables, monkeypatch):
    client = _client(server, tmp_path)
    client.send(_push("a"))
    monkeypatch.setattr(server, "issued", _Refusing())
    with pytest.raises(fcm.FcmError) as refused:
        client.send(_push("b"))
    assert "401" in str(refused.value) and not refused.value.transient
    assert server.token_requests == 2  # one new exchange, then it gave up
