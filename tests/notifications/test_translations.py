"""Every error code and every notification kind speaks Arabic; the language is chosen per request."""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone, translation

from config.api.errors import ApplicationError
from config.api.exceptions import DRF_CODES
from config.api.messages import CODE_MESSAGES, translated
from notifications.kinds import Kind
from notifications.services.rendering import SessionFacts, build_email, render_texts, session_context
from tests.factories import CoachFactory, CustomerFactory, SessionFactory

ARABIC = re.compile(r"[\u0600-\u06FF]")


def _all_error_classes() -> set[type[ApplicationError]]:
    root = Path(settings.BASE_DIR)
    ours = [(c.path, c.name) for c in apps.get_app_configs() if Path(c.path).parent == root]  # not site-packages
    for path, name in [*ours, (str(root / "config"), "config"), (str(root / "integrations"), "integrations")]:
        for info in pkgutil.walk_packages([path], prefix=f"{name}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            importlib.import_module(info.name)
    found, todo = set(), [ApplicationError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_class_message_has_arabic():
    classes = _all_error_classes()
    assert len(classes) > 20
    with translation.override("ar"):
        missing = [f"{c.__module__}.{c.__name__}" for c in classes if translated(c.default_message) is None]
    assert missing == [], "add these default_message texts to locale/ar/LC_MESSAGES/django.po"


def test_every_error_code_has_an_arabic_message():
    codes = (
        set(DRF_CODES.values())
        | {cls.code for cls in _all_error_classes() if hasattr(cls, "code")}
        | set(CODE_MESSAGES)
    )
    assert codes <= set(CODE_MESSAGES), codes - set(CODE_MESSAGES)
    with translation.override("ar"):
        missing = [code for code in codes if not ARABIC.search(str(CODE_MESSAGES[code]))]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("kind", Kind.values)
def test_every_kind_renders_in_both_languages(kind):
    coach = CoachFactory(first_name="Anna", last_name="Berg")
    customer = CustomerFactory(first_name="Dan", last_name="Cole", timezone="Asia/Riyadh")
    session = SessionFactory(appointment__coach=coach, customer=customer, cancel_reason="Sick")
    facts = SessionFacts.from_model(session)
    facts.previous_start = session.scheduled_start - timedelta(days=1)
    texts = {}
    for language in ("en", "ar"):
        customer.language = language
        context = session_context(
            facts, customer, minutes=60, hours=1, overall=5, purpose="password_reset", ttl_minutes=60, link="x"
        )
        title, body = render_texts(kind=kind, recipient=customer, context=context)
        assert title and body, (kind, language)
        texts[language] = title + body
        message = build_email(kind=kind, recipient=customer, title=title, body=body, action_url="http://x")
        html = message.alternatives[0][0]
        assert f'dir="{"rtl" if language == "ar" else "ltr"}"' in html
    assert not ARABIC.search(texts["en"]), kind
    assert ARABIC.search(texts["ar"]), kind
    assert texts["ar"] != texts["en"]


@pytest.mark.django_db
def test_times_are_written_in_the_recipients_zone():
    customer = CustomerFactory(timezone="America/New_York", language="en")
    session = SessionFactory(
        customer=customer,
        appointment__start=timezone.now().replace(month=1, day=15, hour=14, minute=0, second=0, microsecond=0)
        + timedelta(days=400),
    )
    facts = SessionFacts.from_model(session)
    _, body = render_texts(kind=Kind.SESSION_BOOKED, recipient=customer, context=session_context(facts, customer))
    assert "09:00" in body and "America/New_York" in body


# --- the language of API errors ------------------------------------------------------------------------


@pytest.mark.django_db
def test_error_follows_accept_language_then_the_user_then_english(api, anon_client):
    english = anon_client.get("/api/v1/me")
    arabic = anon_client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="ar-SA,ar;q=0.9")
    assert english.json()["error"]["code"] == arabic.json()["error"]["code"] == "not_authenticated"
    assert not ARABIC.search(english.json()["error"]["message"])
    assert ARABIC.search(arabic.json()["error"]["message"])
    assert arabic["Content-Language"] == "ar"
    assert not ARABIC.search(anon_client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="fr").json()["error"]["message"])

    user = CustomerFactory(language="ar")
    client = api(user)
    missing = "/api/v1/sessions/00000000-0000-0000-0000-000000000000"
    res = client.get(missing)
    assert res.status_code == 404 and res.json()["error"]["code"] == "not_found"
    assert ARABIC.search(res.json()["error"]["message"])
    res = client.get(missing, HTTP_ACCEPT_LANGUAGE="en")
    assert res.json()["error"]["message"] and not ARABIC.search(res.json()["error"]["message"])


@pytest.mark.django_db
def test_domain_and_validation_errors_speak_arabic(api):
    coach = CoachFactory(language="ar")
    res = api(coach).post("/api/v1/sessions", {"type": "INSTANT", "coach_id": str(coach.pk), "duration_minutes": 30})
    assert res.status_code == 403 and res.json()["error"]["code"] == "permission_denied"
    assert ARABIC.search(res.json()["error"]["message"])
    res = api(coach).patch("/api/v1/me", {"timezone": "Mars/Olympus"}, format="json")
    assert res.json()["error"]["code"] == "validation_error"
    assert ARABIC.search(res.json()["error"]["message"])
    res = api(coach).post("/api/v1/me/devices", {"platform": "x"}, format="json")
    assert ARABIC.search(" ".join(res.json()["error"]["fields"]["token"]))  # DRF's own Arabic


@pytest.mark.django_db
def test_a_message_built_at_run_time_falls_back_to_its_codes_arabic(api, coach, customer):
    session = SessionFactory(appointment__coach=coach, customer=customer, status="COMPLETED")
    res = api(customer).post(f"/api/v1/sessions/{session.pk}/cancel", HTTP_ACCEPT_LANGUAGE="ar")
    assert res.status_code == 409 and res.json()["error"]["code"] == "invalid_state"
    assert res.json()["error"]["message"] == "هذا غير ممكن في الحالة الحالية."  # InvalidState's own message


@pytest.mark.django_db
def test_the_admin_speaks_arabic(client, staff):
    client.force_login(staff)
    res = client.get("/admin/notifications/notification/", HTTP_ACCEPT_LANGUAGE="ar")
    assert res.status_code == 200
    assert 'dir="rtl"' in res.content.decode()
    staff.language = "ar"
    staff.save()
    res = client.get("/admin/")
    assert 'lang="ar"' in res.content.decode()
