"""The permission matrix: outsiders get 404, the wrong role 403, no token 401."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import CoachProfile
from sessions_app.models import Appointment, Session, SessionLog, SessionReport
from tests.factories import AppointmentFactory, CoachFactory
from tests.helpers.api import error_code
from tests.helpers.sessions import session_in_state

pytestmark = pytest.mark.django_db

S = Session.Status

# (method, path under sessions/{id}, body)
SESSION_ENDPOINTS = [
    ("get", "", None),
    ("patch", "", {"topic": "mine now"}),
    ("get", "/status", None),
    ("post", "/cancel", {}),
    ("post", "/start-call", None),
    ("post", "/end", None),
    ("post", "/end/decline", None),
    ("get", "/logs", None),
    ("post", "/logs", {"action": "LEFT"}),
    ("get", "/report", None),
    ("put", "/report", {"notes": "hi"}),
]


def _call(client, method, path, body):
    return getattr(client, method)(path, body, format="json") if body is not None else getattr(client, method)(path)


def _snapshot(session):
    return (
        Session.objects.filter(pk=session.pk).values().get(),
        SessionLog.objects.filter(session=session).count(),
        SessionReport.objects.filter(session=session).count(),
    )


@pytest.mark.parametrize("state", [S.IN_PROGRESS, S.COMPLETED])
@pytest.mark.parametrize(("method", "suffix", "body"), SESSION_ENDPOINTS)
@pytest.mark.parametrize("who", ["outsider", "other_coach", "staff"])
def test_non_participant_gets_404_on_every_session_endpoint(
    api, coach, customer, outsider, other_coach, staff, state, method, suffix, body, who
):
    session = session_in_state(state, coach=coach, customer=customer)
    before = _snapshot(session)
    user = {"outsider": outsider, "other_coach": other_coach, "staff": staff}[who]

    res = _call(api(user), method, f"/api/v1/sessions/{session.id}{suffix}", body)

    assert res.status_code == 404, res.json()
    assert error_code(res) == "not_found"
    assert _snapshot(session) == before


@pytest.mark.parametrize(("method", "suffix", "body"), SESSION_ENDPOINTS)
def test_unknown_session_id_is_404_like_someone_elses(api, customer, method, suffix, body):
    res = _call(api(customer), method, f"/api/v1/sessions/{uuid.uuid4()}{suffix}", body)
    assert res.status_code == 404
    assert error_code(res) == "not_found"


ANON_ENDPOINTS = [
    ("get", "/api/v1/me", None),
    ("post", "/api/v1/auth/logout", None),
    ("get", "/api/v1/coaches", None),
    ("get", "/api/v1/coaches/{coach}", None),
    ("get", "/api/v1/coaches/{coach}/appointments", None),
    ("get", "/api/v1/coach/profile", None),
    ("patch", "/api/v1/coach/profile", {"bio": "x"}),
    ("put", "/api/v1/coach/availability", {"status": "ONLINE"}),
    ("get", "/api/v1/coach/appointments", None),
    ("post", "/api/v1/coach/appointments", {"start": "2030-01-01T10:00:00Z", "duration_minutes": 60}),
    ("delete", "/api/v1/coach/appointments/{appointment}", None),
    ("get", "/api/v1/sessions", None),
    ("post", "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": "{appointment}"}),
    ("get", "/api/v1/sessions/current", None),
    *[(m, "/api/v1/sessions/{session}" + suffix, b) for m, suffix, b in SESSION_ENDPOINTS],
]


@pytest.mark.parametrize(("method", "path", "body"), ANON_ENDPOINTS)
@pytest.mark.parametrize("auth", [None, "Bearer not-a-real-token", "Token abc", "Bearer "])
def test_no_or_bad_token_is_401_everywhere(anon_client, coach, customer, method, path, body, auth):
    session = session_in_state(S.IN_PROGRESS, coach=coach, customer=customer)
    appointment = AppointmentFactory(coach=coach)
    ids = {"coach": coach.id, "session": session.id, "appointment": appointment.id}
    if auth:
        anon_client.credentials(HTTP_AUTHORIZATION=auth)
    if body:
        body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    before = _snapshot(session)

    res = _call(anon_client, method, path.format(**ids), body)

    assert res.status_code == 401, res.content
    assert error_code(res) == "not_authenticated"
    assert res["WWW-Authenticate"].startswith("Bearer")
    assert _snapshot(session) == before
    assert Appointment.objects.filter(pk=appointment.pk).exists()


@pytest.mark.parametrize("who", ["coach", "staff"])
def test_only_customers_post_sessions(api, coach, staff, who):
    appointment = AppointmentFactory(coach=CoachFactory())
    user = {"coach": coach, "staff": staff}[who]
    res = api(user).post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(appointment.id)}, format="json"
    )
    assert res.status_code == 403
    assert error_code(res) == "permission_denied"
    assert not Session.objects.exists()


COACH_ENDPOINTS = [
    ("get", "/api/v1/coach/profile", None),
    ("patch", "/api/v1/coach/profile", {"bio": "I coach now"}),
    ("put", "/api/v1/coach/availability", {"status": "ONLINE"}),
    ("get", "/api/v1/coach/appointments", None),
    ("post", "/api/v1/coach/appointments", {"start": "2030-01-01T10:00:00Z", "duration_minutes": 60}),
    ("delete", "/api/v1/coach/appointments/{appointment}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), COACH_ENDPOINTS)
@pytest.mark.parametrize("who", ["customer", "staff"])
def test_non_coaches_get_403_on_coach_endpoints(api, coach, customer, staff, method, path, body, who):
    appointment = AppointmentFactory(coach=coach)
    user = {"customer": customer, "staff": staff}[who]
    res = _call(api(user), method, path.format(appointment=appointment.id), body)
    assert res.status_code == 403
    assert error_code(res) == "permission_denied"
    assert Appointment.objects.count() == 1


def test_coach_cannot_delete_another_coachs_slot(api, coach, other_coach):
    appointment = AppointmentFactory(coach=other_coach)
    res = api(coach).delete(f"/api/v1/coach/appointments/{appointment.id}")
    assert res.status_code == 404
    assert Appointment.objects.filter(pk=appointment.pk).exists()


# --- unverified coaches --------------------------------------------------------------------------------


@pytest.fixture
def unverified(db):
    return CoachFactory(coach_profile__is_verified=False, coach_profile__availability="OFFLINE")


def test_unverified_coach_cannot_publish_slots(api, unverified):
    res = api(unverified).post(
        "/api/v1/coach/appointments", {"start": "2030-01-01T10:00:00Z", "duration_minutes": 60}, format="json"
    )
    assert res.status_code == 403
    assert error_code(res) == "permission_denied"
    assert not Appointment.objects.exists()


def test_unverified_coach_cannot_go_online(api, unverified):
    res = api(unverified).put("/api/v1/coach/availability", {"status": "ONLINE"}, format="json")
    assert res.status_code == 403
    assert error_code(res) == "permission_denied"
    assert CoachProfile.objects.get(pk=unverified.pk).availability == "OFFLINE"


def test_unverified_coach_can_edit_its_profile(api, unverified):
    res = api(unverified).patch("/api/v1/coach/profile", {"bio": "New here"}, format="json")
    assert res.status_code == 200
    assert CoachProfile.objects.get(pk=unverified.pk).bio == "New here"


def test_unverified_coach_does_not_exist_for_others(api, customer, coach, unverified):
    client = api(customer)
    listed = [c["id"] for c in client.get("/api/v1/coaches").json()["results"]]
    assert listed == [str(coach.id)]
    for path in (f"/api/v1/coaches/{unverified.id}", f"/api/v1/coaches/{unverified.id}/appointments"):
        res = client.get(path)
        assert res.status_code == 404
        assert error_code(res) == "not_found"
