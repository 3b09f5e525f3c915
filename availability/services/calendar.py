"""Calendar feeds: a secret iCalendar URL per user, and the feed itself (RFC 5545, ``icalendar``).

The token is ``HMAC-SHA256(SECRET_KEY, "calendar-feed:<user id>:<nonce>")``: it can be shown again
(``GET me/calendar``) without being stored, the database holds only its SHA-256 to find the feed,
and rotating draws a new nonce, so the old URL stops matching anything (404). Changing
``SECRET_KEY`` invalidates every feed URL (users fetch a new one from ``GET me/calendar``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from icalendar import Calendar, Event

from accounts.models import User
from availability.models import CalendarFeed
from sessions_app.models import Session
from sessions_app.services._common import resolve_now

FEED_HISTORY = timedelta(days=90)


def _token(user_id, nonce: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"calendar-feed:{user_id}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_nonce() -> str:
    return secrets.token_hex(16)


def calendar_feed_token(*, user: User) -> str:
    """The user's current feed token, made on first use."""
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is None:
        nonce = _new_nonce()
        try:
            with transaction.atomic():
                feed = CalendarFeed.objects.create(user=user, nonce=nonce, token_hash=_hash(_token(user.pk, nonce)))
        except IntegrityError:  # two first requests at once: the other one made it
            feed = CalendarFeed.objects.get(user=user)
    return _token(user.pk, feed.nonce)


def calendar_feed_rotate(*, user: User, now: datetime | None = None) -> str:
    """A new token; the old URL answers 404 from now on."""
    nonce = _new_nonce()
    token = _token(user.pk, nonce)
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"nonce": nonce, "token_hash": _hash(token), "rotated_at": resolve_now(now)}
    )
    return token


def calendar_feed_user(*, token: str) -> User | None:
    """The active user whose feed ``token`` is, else ``None``."""
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=_hash(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def calendar_ics(*, user: User, host: str, now: datetime | None = None) -> bytes:
    """One VEVENT per session of ``user`` from 90 days back on, in UTC."""
    now = resolve_now(now)
    sessions = (
        Session.objects.filter(Q(coach=user) | Q(customer=user), scheduled_end__gte=now - FEED_HISTORY)
        .select_related("coach", "customer")
        .order_by("scheduled_start")
    )
    cal = Calendar()
    cal.add("prodid", "-//Coaching platform//Sessions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Coaching sessions")
    for session in sessions.iterator(chunk_size=500):
        other = session.customer if session.coach_id == user.pk else session.coach
        event = Event()
        event.add("uid", f"{session.pk}@{host}")
        event.add("dtstamp", (session.updated_at or now).astimezone(UTC))
        event.add("last-modified", (session.updated_at or now).astimezone(UTC))
        event.add("dtstart", session.scheduled_start.astimezone(UTC))
        event.add("dtend", session.scheduled_end.astimezone(UTC))
        event.add("summary", f"Coaching session with {other.get_full_name() or other.email}")
        description = session.display_number
        if session.topic:
            description += f"\n{session.topic}"
        event.add("description", description)
        event.add("status", "CANCELLED" if session.status == Session.Status.CANCELLED else "CONFIRMED")
        event.add("sequence", session.sequence)
        cal.add_component(event)
    return cal.to_ical()
