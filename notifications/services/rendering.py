"""Texts of notifications and e-mails, from templates, in the recipient's language and time zone.

Templates live in ``templates/notifications/<kind>/{title,body}.txt`` (gettext through
``{% blocktranslate %}``); e-mails wrap them in ``templates/notifications/email/message.{txt,html}``.
Datetimes in the context are aware UTC values: the templates print them in the time zone that
:func:`recipient_locale` activates.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime

from integrations import email as email_client
from notifications.kinds import EMAIL_ONLY

NO_SHOW = "NO_SHOW"


@contextmanager
def recipient_locale(user) -> Iterator[None]:
    """The recipient's language and time zone for everything rendered inside."""
    language = user.language if user.language in dict(settings.LANGUAGES) else "en"
    try:
        zone = ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    with translation.override(language), timezone.override(zone):
        yield


@dataclass
class SessionFacts:
    """A session as the texts need it, from an event payload or from the database."""

    id: str
    number: str
    type: str
    status: str
    coach_id: str
    customer_id: str
    coach_name: str
    customer_name: str
    start: datetime | None
    end: datetime | None
    topic: str = ""
    cancel_reason: str = ""
    previous_start: datetime | None = None
    extra: dict = field(default_factory=dict)
    # (coach, customer) once loaded (``notifications.services.audience.participants``).
    people: tuple | None = None

    @classmethod
    def from_payload(cls, session: dict, previous: dict | None = None) -> SessionFacts:
        coach, customer = session.get("coach") or {}, session.get("customer") or {}
        prev = (previous or {}).get("scheduled_start")
        return cls(
            id=str(session["id"]),
            number=str(session.get("number") or ""),
            type=session.get("type") or "",
            status=session.get("status") or "",
            coach_id=str(coach.get("id") or ""),
            customer_id=str(customer.get("id") or ""),
            coach_name=_name(coach),
            customer_name=_name(customer),
            start=_dt(session.get("scheduled_start")),
            end=_dt(session.get("scheduled_end")),
            topic=session.get("topic") or "",
            cancel_reason=session.get("cancel_reason") or "",
            previous_start=_dt(prev),
        )

    @classmethod
    def from_model(cls, session) -> SessionFacts:
        return cls(
            id=str(session.pk),
            number=session.display_number,
            type=session.type,
            status=session.status,
            coach_id=str(session.coach_id),
            customer_id=str(session.customer_id),
            coach_name=session.coach.get_full_name(),
            customer_name=session.customer.get_full_name(),
            start=session.scheduled_start,
            end=session.scheduled_end,
            topic=session.topic,
            cancel_reason=session.cancel_reason,
        )

    def role_of(self, user_id) -> str:
        return "coach" if str(user_id) == self.coach_id else "customer"

    def other_name(self, user_id) -> str:
        return self.customer_name if str(user_id) == self.coach_id else self.coach_name


def _name(person: dict) -> str:
    return f"{person.get('first_name') or ''} {person.get('last_name') or ''}".strip()


def _dt(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_datetime(str(value))


def session_context(facts: SessionFacts, recipient, **extra) -> dict:
    return {
        "recipient": recipient,
        "role": facts.role_of(recipient.pk),
        "other_name": facts.other_name(recipient.pk),
        "session": facts,
        "start": facts.start,
        "previous_start": facts.previous_start,
        "is_no_show": facts.cancel_reason == NO_SHOW,
        "reason": "" if facts.cancel_reason == NO_SHOW else facts.cancel_reason,
        "session_minutes": int((facts.end - facts.start).total_seconds() // 60) if facts.start and facts.end else "",
        "action_url": f"{settings.FRONTEND_URL}/sessions/{facts.id}",
        **extra,
    }


def local_datetime(value: datetime | None) -> str:
    """``value`` as the recipient reads it: their zone, their language's month and day names."""
    if value is None:
        return ""
    # Both participants of a session (and a batch's sessions at one time) mostly read the same text.
    return _local_text(value, timezone.get_current_timezone_name(), translation.get_language())


@lru_cache(maxsize=4096)
def _local_text(value: datetime, zone_name: str, language: str) -> str:
    local = timezone.localtime(value)  # in the zone and language active now, which the key names
    return f"{formats.date_format(local, 'l j F Y')} {formats.time_format(local, 'H:i')}"


# Datetimes of the context (aware, UTC) -> the names the templates print them under, localised.
LOCAL_TIMES = (
    ("start", "when"),
    ("previous_start", "previous_when"),
    ("proposed_start", "proposed_when"),
    ("expires_at", "expires_when"),
)


def _render_plain(name: str, context: dict) -> str:
    """A text template without HTML escaping: titles and bodies are plain text (the inbox, push, the
    subject); the HTML e-mail escapes them once, where they go into HTML."""
    return Engine.get_default().get_template(name).render(Context(context, autoescape=False))


def render_texts(*, kind: str, recipient, context: dict) -> tuple[str, str]:
    """``(title, body)`` of ``kind`` for ``recipient``, in their language and time zone."""
    with recipient_locale(recipient):
        context = {
            **context,
            "recipient": recipient,
            "tz_name": timezone.get_current_timezone_name(),
            **{name: local_datetime(context.get(key)) for key, name in LOCAL_TIMES},
        }
        title = _render_plain(f"notifications/{kind}/title.txt", context).strip()
        body = _render_plain(f"notifications/{kind}/body.txt", context).strip()
    return " ".join(title.split()), "\n".join(line.strip() for line in body.strip().splitlines())


def build_email(
    *, kind: str, recipient, title: str, body: str, action_url: str = "", action_label: str = ""
) -> email_client.Message:
    """A text + HTML e-mail; right-to-left in Arabic; ``List-Unsubscribe`` where one can opt out."""
    with recipient_locale(recipient):
        language = translation.get_language()
        context = {
            "kind": kind,
            "recipient": recipient,
            "title": title,
            "body_lines": body.splitlines(),
            "action_url": action_url,
            "action_label": action_label,
            "language": language,
            "direction": "rtl" if translation.get_language_bidi() else "ltr",
            "preferences_url": f"{settings.FRONTEND_URL}/settings/notifications",
            "can_unsubscribe": kind not in EMAIL_ONLY,
        }
        text = render_to_string("notifications/email/message.txt", context)
        html = render_to_string("notifications/email/message.html", context)
    headers = {"Content-Language": language}
    if kind not in EMAIL_ONLY:
        headers["List-Unsubscribe"] = f"<{settings.FRONTEND_URL}/settings/notifications?unsubscribe={kind}>"
    message = email_client.Message(
        subject=title, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[recipient.email], headers=headers
    )
    message.attach_alternative(html, "text/html")
    return message
