"""Runs in its own process, with settings pointing at closed ports: fires every API operation.

``python -m tests.failures.driver <scenario>`` prints one JSON document: every answer (method, path,
role, status, content type, error code) and what the scenario's checks found in the database. The
process gets its environment from ``tests/failures/test_closed_ports.py``: production settings
(``DJANGO_DEBUG=false``), a database and a Redis that may or may not be listening. Nothing of the
project is faked: the dependencies are really down (a port with nothing behind it).
"""

from __future__ import annotations

import json
import os
import re
import sys
import uuid
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from drf_spectacular.generators import EndpointEnumerator  # noqa: E402

_PARAM = re.compile(r"\{(\w+)\}")
METHODS_WITH_BODY = {"POST", "PUT", "PATCH"}
# Pages of the site that are not the API: no JSON expected, but never a 500.
PAGES = ["/api/schema/", "/api/docs/", "/admin/login/", "/admin/"]


def operations() -> list[tuple[str, str]]:
    out = []
    for path, _regex, method, _callback in EndpointEnumerator().get_api_endpoints():
        out.append((method, path.rstrip("/") or "/"))
    return sorted(set(out))


def answer(response) -> dict:
    content_type = response.get("Content-Type", "")
    code = None
    if content_type.startswith("application/json") and response.content:
        try:
            body = json.loads(response.content)
            code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        except ValueError:
            code = "<not json>"
    return {"status": response.status_code, "content_type": content_type, "code": code}


def fire(clients: dict[str, Client], ids: dict[str, str]) -> list[dict]:
    results = []
    for method, template in operations():
        path = _PARAM.sub(lambda m: ids.get(m.group(1), str(uuid.uuid4())), template)
        for role, client in clients.items():
            kwargs = {"content_type": "application/json", "data": "{}"} if method in METHODS_WITH_BODY else {}
            response = client.generic(method, path, **kwargs)
            results.append({"method": method, "path": template, "role": role, **answer(response)})
    for page in PAGES:
        response = clients["anonymous"].get(page)
        results.append({"method": "GET", "path": page, "role": "anonymous", **answer(response)})
    return results


def client(token: str | None = None) -> Client:
    c = Client(raise_request_exception=False)
    if token:
        c.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return c


def database_down() -> dict:
    """Nothing to set up: the database is not there. A made-up token stands for a logged-in user."""
    clients = {"anonymous": client(), "token": client("ab" * 20)}
    answers = fire(clients, {})
    credentials = {"email": "someone@example.com", "password": "a long enough password"}
    checks = {
        "login": answer(client().post("/api/v1/auth/login", credentials, content_type="application/json")),
        "register": answer(
            client().post(
                "/api/v1/auth/register",
                {**credentials, "first_name": "A", "last_name": "B", "role": "customer"},
                content_type="application/json",
            )
        ),
    }
    return {"answers": answers, "checks": checks}


def with_database() -> dict:
    """Migrate the scenario's own database, make a coach, a customer and their sessions, fire every
    operation as each, then the writes whose outcome the scenario checks."""
    from knox.models import AuthToken

    from ratings.models import Rating
    from sessions_app.models import Session
    from tests.factories import PASSWORD, AppointmentFactory, CoachFactory, CustomerFactory, SessionFactory

    call_command("migrate", verbosity=0)
    coach, customer = CoachFactory(), CustomerFactory()
    now = timezone.now().replace(second=0, microsecond=0)
    running = SessionFactory(
        coach=coach,
        customer=customer,
        appointment__coach=coach,
        appointment__start=now - timedelta(minutes=10),
        status=Session.Status.IN_PROGRESS,
        started_at=now - timedelta(minutes=10),
    )
    done = SessionFactory(
        coach=coach,
        customer=customer,
        appointment__coach=coach,
        appointment__start=now - timedelta(days=1),
        status=Session.Status.COMPLETED,
        started_at=now - timedelta(days=1),
        ended_at=now - timedelta(days=1) + timedelta(minutes=60),
    )
    free_slot = AppointmentFactory(coach=coach, start=now + timedelta(days=2))
    tokens = {role: AuthToken.objects.create(user=user)[1] for role, user in (("customer", customer), ("coach", coach))}
    clients = {"anonymous": client(), **{role: client(token) for role, token in tokens.items()}}
    ids = {"session_id": str(running.pk), "coach_id": str(coach.pk)}
    answers = fire(clients, ids)
    # Fresh tokens: the sweep above went through auth/logout.
    clients.update({role: client(AuthToken.objects.create(user=user)[1]) for role, user in (("customer", customer),)})

    checks: dict = {}
    book = {"type": "SCHEDULED", "appointment_id": str(free_slot.pk)}
    first, again = (
        clients["customer"].post("/api/v1/sessions", book, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
        for _ in range(2)
    )
    checks["booking"] = {
        "first": answer(first),
        "replay": answer(again),
        "same_answer": first.content == again.content,
        "sessions_on_slot": Session.objects.filter(appointment=free_slot).count(),
    }
    rating = {
        "overall": 5,
        "scores": {"communication": 5, "knowledge": 5, "punctuality": 5, "helpfulness": 5},
        "feedback": "Clear, kind and on time.",
    }
    submitted = clients["customer"].post(f"/api/v1/sessions/{done.pk}/rating", rating, content_type="application/json")
    checks["rating"] = {"answer": answer(submitted), "stored": Rating.objects.filter(session=done).count()}
    ended = clients["customer"].post(f"/api/v1/sessions/{running.pk}/end", content_type="application/json")
    checks["end"] = {"answer": answer(ended), "status": Session.objects.get(pk=running.pk).status}
    login = client().post(
        "/api/v1/auth/login", {"email": customer.email, "password": PASSWORD}, content_type="application/json"
    )
    checks["login"] = answer(login)
    checks["message"] = answer(
        clients["customer"].post(
            f"/api/v1/sessions/{running.pk}/messages", {"text": "hello"}, content_type="application/json"
        )
    )
    health = client().get("/api/v1/health")
    checks["health"] = {"status": health.status_code, "body": json.loads(health.content)}
    return {"answers": answers, "checks": checks}


if __name__ == "__main__":
    scenario = sys.argv[1]
    result = database_down() if scenario == "database_down" else with_database()
    sys.stdout.write("\n@@RESULT@@" + json.dumps(result, default=str))
