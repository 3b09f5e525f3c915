"""The Agora RTC token of start-call, decoded by hand (not with agora_token_builder's parser)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from sessions_app.models import Session
from tests.factories import SessionFactory
from tests.helpers.sessions import book_open_session

pytestmark = pytest.mark.django_db

APP_ID = "0123456789abcdef0123456789abcdef"
CERTIFICATE = "fedcba9876543210fedcba9876543210"


@dataclass
class Token:
    app_id: str
    signature: bytes
    crc_channel: int
    crc_uid: int
    message: bytes
    salt: int
    ts: int
    privileges: dict[int, int]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def string(self) -> bytes:
        length = self.take("<H")
        value = self.data[self.pos : self.pos + length]
        assert len(value) == length, "truncated string"
        self.pos += length
        return value

    def done(self) -> bool:
        return self.pos == len(self.data)


def decode_006(token: str) -> Token:
    assert token.startswith("006"), token[:3]
    app_id, content = token[3:35], base64.b64decode(token[35:], validate=True)
    outer = _Reader(content)
    signature = outer.string()
    crc_channel = outer.take("<I")
    crc_uid = outer.take("<I")
    message = outer.string()
    assert outer.done(), "trailing bytes after the message"
    inner = _Reader(message)
    salt, ts = inner.take("<I"), inner.take("<I")
    privileges = {}
    for _ in range(inner.take("<H")):
        key = inner.take("<H")
        privileges[key] = inner.take("<I")
    assert inner.done(), "trailing bytes after the privileges"
    return Token(app_id, signature, crc_channel, crc_uid, message, salt, ts, privileges)


@pytest.fixture
def agora(settings):
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = CERTIFICATE
    return settings


def _start_call(client, session) -> dict:
    res = client.post(f"/api/v1/sessions/{session.id}/start-call")
    assert res.status_code == 200, res.json()
    return res.json()


def test_token_carries_app_id_channel_uid_privileges_and_a_valid_signature(agora, api, coach, customer):
    agora.RTC_TOKEN_TTL_MINUTES = 24 * 60  # the session's hard end comes first here
    session = book_open_session(coach=coach, customer=customer)
    body = _start_call(api(customer), session)
    session.refresh_from_db()

    token = decode_006(body["token"])
    uid_str = str(body["uid"]).encode()
    channel = body["channel_name"].encode()

    assert body["app_id"] == token.app_id == APP_ID
    assert body["channel_name"] == session.channel_name
    assert body["uid"] == session.customer_uid
    assert token.crc_channel == zlib.crc32(channel) & 0xFFFFFFFF
    assert token.crc_uid == zlib.crc32(uid_str) & 0xFFFFFFFF
    expiry = int((session.scheduled_end + timedelta(minutes=agora.SESSION_GRACE_MINUTES)).timestamp())
    # Join channel, publish audio, video and data: the publisher role.
    assert token.privileges == {1: expiry, 2: expiry, 3: expiry, 4: expiry}
    assert datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00")).timestamp() == expiry
    expected = hmac.new(CERTIFICATE.encode(), APP_ID.encode() + channel + uid_str + token.message, hashlib.sha256)
    assert hmac.compare_digest(token.signature, expected.digest())


def test_token_signature_does_not_verify_with_another_certificate(agora, api, coach, customer):
    session = book_open_session(coach=coach, customer=customer)
    body = _start_call(api(coach), session)
    token = decode_006(body["token"])
    forged = hmac.new(
        b"0" * 32,
        APP_ID.encode() + body["channel_name"].encode() + str(body["uid"]).encode() + token.message,
        hashlib.sha256,
    )
    assert token.signature != forged.digest()


def test_token_expiry_is_capped_at_the_token_ttl_from_now(agora, api, coach, customer):
    # Default RTC_TOKEN_TTL_MINUTES: 60, well before this 30-hour session's hard end.
    start = timezone.now() - timedelta(minutes=1)
    session = SessionFactory(
        appointment__coach=coach, appointment__start=start, appointment__duration_minutes=30 * 60, customer=customer
    )
    before = int(timezone.now().timestamp())
    body = _start_call(api(customer), session)
    after = int(timezone.now().timestamp())
    privileges = decode_006(body["token"]).privileges
    assert set(privileges) == {1, 2, 3, 4}
    assert len(set(privileges.values())) == 1
    assert before + 3600 - 1 <= privileges[1] <= after + 3600
    assert datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00")).timestamp() == privileges[1]


def test_uids_are_stable_non_zero_32_bit_and_differ_between_participants(agora, api, coach, customer):
    session = book_open_session(coach=coach, customer=customer)
    customer_client, coach_client = api(customer), api(coach)
    first = _start_call(customer_client, session)
    coach_first = _start_call(coach_client, session)
    again = _start_call(customer_client, session)
    coach_again = _start_call(coach_client, session)

    assert first["uid"] == again["uid"]
    assert coach_first["uid"] == coach_again["uid"]
    assert first["uid"] != coach_first["uid"]
    for uid in (first["uid"], coach_first["uid"]):
        assert 0 < uid < 2**32
    assert decode_006(coach_again["token"]).crc_uid == zlib.crc32(str(coach_first["uid"]).encode()) & 0xFFFFFFFF


def test_channel_names_are_short_unguessable_and_differ_per_session(agora, api, coach, customer):
    first = book_open_session(coach=coach, customer=customer)
    second = book_open_session(coach=coach, customer=customer, minutes_ago=-180)
    names = {first.channel_name, second.channel_name}
    assert len(names) == 2
    for session in (first, second):
        assert 16 <= len(session.channel_name) <= 64
        assert str(session.id) not in session.channel_name
        assert str(session.number) not in session.channel_name.split("_")
    assert _start_call(api(customer), first)["channel_name"] == first.channel_name


def test_every_new_session_gets_its_own_channel_and_uids(coach, customer):
    sessions = [SessionFactory() for _ in range(5)]
    booked = [book_open_session(coach=coach, customer=customer, minutes_ago=-180 * i) for i in range(1, 4)]
    assert len({s.channel_name for s in Session.objects.all()}) == len(sessions) + len(booked)
    for session in booked:
        assert session.coach_uid != session.customer_uid
        assert session.coach_uid > 0 and session.customer_uid > 0
