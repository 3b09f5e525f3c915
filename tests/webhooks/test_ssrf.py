"""The SSRF guard: refused at registration, and again at each send after DNS, on the address the
connection then really uses."""

from __future__ import annotations

import socket

import pytest

from config.api.errors import ValidationFailed
from events.services import event_emit
from integrations.webhooks import addresses
from integrations.webhooks.http import Receiver
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

REFUSED = [
    ("http://127.0.0.1/hook", "loopback"),
    ("http://127.1/hook", "loopback"),  # the resolver expands it to 127.0.0.1
    ("http://2130706433/hook", "loopback"),  # 127.0.0.1 as one number
    ("http://0x7f000001/hook", "loopback"),
    ("http://localhost:8000/hook", "loopback"),  # a name that resolves to 127.0.0.1 (or ::1)
    ("http://[::1]/hook", "loopback"),
    ("http://10.1.2.3/hook", "private"),
    ("http://172.16.0.1/hook", "private"),
    ("https://192.168.1.10/hook", "private"),
    ("http://100.64.0.1/hook", "not a public"),  # carrier-grade NAT
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://169.254.10.10/hook", "link-local"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
    ("http://[fe80::1]/hook", "link-local"),
    ("http://[fc00::1]/hook", "private"),
    ("http://[::ffff:127.0.0.1]/hook", "IPv6 form of 127.0.0.1"),
    ("http://[::ffff:169.254.169.254]/hook", "metadata"),
    ("http://[2002:c0a8:0101::1]/hook", "IPv6 form of 192.168.1.1"),  # 6to4
    ("http://224.0.0.1/hook", "multicast"),
    ("http://[ff02::1]/hook", "multicast"),
    ("http://0.0.0.0/hook", "unspecified"),
    ("http://240.0.0.1/hook", "reserved"),
    ("ftp://93.184.216.34/hook", "Only http and https"),
    ("file:///etc/passwd", "Only http and https"),
    ("http://user:pass@93.184.216.34/hook", "Credentials"),
    ("http:///hook", "no host"),
    ("http://93.184.216.34:99999/hook", "Not a valid URL"),
]


@pytest.mark.parametrize("url,why", REFUSED)
def test_registration_refuses_what_is_not_a_public_http_address(db, url, why):
    with pytest.raises(ValidationFailed) as exc:
        services.webhook_endpoint_create(url=url)
    assert why in exc.value.fields["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ["https://93.184.216.34/hooks?x=1", "http://[2606:4700:4700::1111]:8443/h"])
def test_public_addresses_are_accepted(db, url):
    endpoint, secret = services.webhook_endpoint_create(url=url, event_types=["session.booked"])
    assert endpoint.url == url and secret.startswith("whsec_")


def test_allow_private_lifts_all_but_the_metadata_addresses(db, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    for url in ("http://127.0.0.1:9/x", "http://localhost/x", "http://10.0.0.1/x", "http://[::1]/x"):
        services.webhook_endpoint_create(url=url)
    for url in ("http://169.254.169.254/x", "http://[fd00:ec2::254]/x"):
        with pytest.raises(ValidationFailed):
            services.webhook_endpoint_create(url=url)


def test_unknown_event_types_are_refused(db):
    with pytest.raises(ValidationFailed) as exc:
        services.webhook_endpoint_create(url="https://93.184.216.34/", event_types=["session.booked", "session.nope"])
    assert "session.nope" in exc.value.fields["event_types"][0]


def test_a_private_address_is_refused_again_at_send_time(endpoint_for, receiver, settings):
    # Registered while allowed (or while the name pointed elsewhere), refused when sending.
    endpoint, _ = endpoint_for("/late")
    services.webhooks_fan_out(event_emit(type="coach.verified", data={"coach_id": "x"}))
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    result = services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)

    assert result.failed == 1
    assert receiver.at("/late") == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "127.0.0.1 is a loopback address" in attempt.error
    assert WebhookDelivery.objects.get().status == "PENDING"


def test_a_name_that_resolves_to_loopback_at_send_time_is_refused(db, receiver, settings, monkeypatch):
    endpoint, _ = services.webhook_endpoint_create(url="http://93.184.216.34/x")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://localhost:{receiver.port}/x")
    services.webhooks_fan_out(event_emit(type="coach.verified", data={"coach_id": "x"}))

    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)

    assert receiver.at("/x") == []
    assert "localhost resolves to" in WebhookAttempt.objects.get().error


def test_the_connection_goes_to_the_address_that_was_checked(receiver, monkeypatch):
    """DNS rebinding: the name answers a checked address, then another one. The socket must use the
    first answer; a second lookup of the name between check and connect is the hole."""
    real = socket.getaddrinfo
    asked: list[str] = []
    answers = iter(["127.0.0.1", "10.9.9.9", "10.9.9.9"])

    def resolver(host, port, *args, **kwargs):
        asked.append(host)
        if host == "rebind.test":
            return real(next(answers), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with Receiver(f"http://rebind.test:{receiver.port}/pinned", timeout=5, allow_private=True) as client:
        answer = client.post(b"{}", {"webhook-id": "x"})
    assert answer.ok, answer.error
    assert asked.count("rebind.test") == 1
    (got,) = receiver.at("/pinned")
    assert got.headers["host"] == f"rebind.test:{receiver.port}"  # the name, not the address


def test_refusal_reasons_cover_embedded_ipv4():
    import ipaddress

    teredo_to_loopback = ipaddress.ip_address("2001::80ff:fffe")  # Teredo, client 127.0.0.1 (bits inverted)
    assert "127.0.0.1, a loopback address" in addresses.refusal(teredo_to_loopback)
    assert addresses.refusal(ipaddress.ip_address("8.8.8.8")) is None
    assert addresses.refusal(ipaddress.ip_address("::ffff:8.8.8.8")) is None
