"""Cloud recording of an encrypted channel: the recorder gets the participants' key and salt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from recordings.models import Recording
from tests.helpers.sessions import book_open_session
from tests.recordings.fake_agora import _decryption_problem

pytestmark = pytest.mark.django_db


def test_recording_start_passes_the_session_key_as_decryption_settings(api, fake_agora, coach, customer, settings):
    session = book_open_session(coach=coach, customer=customer)
    enc = api(customer).post(f"/api/v1/sessions/{session.id}/start-call").json()["encryption"]

    res = api(coach).post(f"/api/v1/sessions/{session.id}/recordings")

    assert res.status_code == 201, res.json()
    assert fake_agora.problems == []
    recording = Recording.objects.get(pk=res.json()["id"])
    assert fake_agora.recordings[recording.sid]["decryption"] == {
        "decryptionMode": settings.AGORA_RECORDING_DECRYPTION_MODE,
        "secret": enc["key"],
        "salt": enc["salt"],
    }
    assert settings.AGORA_RECORDING_DECRYPTION_MODE == 7  # Agora's AES_128_GCM2
    # Nothing of the key in what the API answers about recordings.
    listing = api(coach).get(f"/api/v1/sessions/{session.id}/recordings").content.decode()
    assert enc["key"] not in listing and enc["salt"] not in listing


def test_the_fake_refuses_incomplete_or_malformed_decryption_settings():
    # The fake's check is real: a missing field or a salt that is not base64 of 32 bytes fails.
    assert _decryption_problem({"decryptionMode": 7, "secret": "k", "salt": "c2hvcnQ="}) != ""
    assert _decryption_problem({"decryptionMode": 7, "secret": "k"}) != ""
    assert _decryption_problem({"decryptionMode": 7, "secret": "k", "salt": "A" * 43 + "="}) == ""


def test_a_session_without_a_key_is_recorded_without_decryption(api, fake_agora, live_session, coach):
    # Started before encryption existed (no start-call made a key): the channel is not encrypted.
    assert live_session.started_at < timezone.now() + timedelta(seconds=1)
    res = api(coach).post(f"/api/v1/sessions/{live_session.id}/recordings")
    assert res.status_code == 201, res.json()
    recording = Recording.objects.get(pk=res.json()["id"])
    assert fake_agora.recordings[recording.sid]["decryption"] == {}
