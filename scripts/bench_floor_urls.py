"""The floor of scripts/bench_load.py: the same rows as the API, by hand (benchmark only).

Each view does what the answer needs at the least: the token lookup, the queries of the rows
(``values()``, joined), ``JsonResponse``. No DRF, no serializers, no throttles. The API's
throughput is reported as a ratio to these, served by the same server in the same run.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken

from accounts.models import CoachProfile
from chat.models import Message
from config.urls import handler400, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as api_urlpatterns
from sessions_app.models import Session

SESSION_FIELDS = (
    "id", "number", "type", "status", "coach_id", "coach__first_name", "coach__last_name", "customer_id",
    "customer__first_name", "customer__last_name", "appointment_id", "scheduled_start", "scheduled_end",
    "duration_minutes", "price", "currency", "topic", "started_at", "ended_at", "end_requested_by_id",
    "cancelled_at", "cancelled_by_id", "cancel_reason", "created_at",
)  # fmt: skip


def _user(request, *fields):
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return (
        AuthToken.objects.filter(digest=hash_token(token), expiry__gt=timezone.now(), user__is_active=True)
        .values("user_id", *fields)
        .first()
    )


def _unauthorized():
    return JsonResponse({"error": {"code": "not_authenticated"}}, status=401)


def floor_sessions(request):
    user = _user(request)
    if user is None:
        return _unauthorized()
    uid = user["user_id"]
    qs = Session.objects.filter(Q(coach_id=uid) | Q(customer_id=uid))
    rows = list(qs.order_by("-scheduled_start", "-number").values(*SESSION_FIELDS)[:20])
    return JsonResponse({"count": qs.count(), "next": None, "previous": None, "results": rows})


def floor_status(request, session_id):
    user = _user(request)
    if user is None:
        return _unauthorized()
    uid = user["user_id"]
    row = (
        Session.objects.filter(Q(coach_id=uid) | Q(customer_id=uid), pk=session_id)
        .values("status", "started_at", "scheduled_end", "duration_minutes", "end_requested_by_id")
        .first()
    )
    now = timezone.now()
    elapsed = int((now - row["started_at"]).total_seconds()) if row["started_at"] else 0
    return JsonResponse(
        {
            "status": row["status"],
            "elapsed_seconds": elapsed,
            "remaining_seconds": max(0, int((row["scheduled_end"] - now).total_seconds())),
            "duration_seconds": row["duration_minutes"] * 60,
            "end_requested_by": row["end_requested_by_id"],
            "scheduled_end": row["scheduled_end"],
        }
    )


def floor_messages(request, session_id):
    user = _user(request)
    if user is None:
        return _unauthorized()
    uid = user["user_id"]
    if not Session.objects.filter(Q(coach_id=uid) | Q(customer_id=uid), pk=session_id).exists():
        return JsonResponse({}, status=404)
    rows = list(
        Message.objects.filter(session_id=session_id)
        .order_by("created_at", "id")
        .values("id", "sender_id", "sender__role", "text", "media", "created_at")[:50]
    )
    return JsonResponse({"next": None, "previous": None, "results": rows})


def floor_coaches(request):
    if _user(request) is None:
        return _unauthorized()
    qs = CoachProfile.objects.filter(is_verified=True, user__is_active=True, user__role="coach")
    rows = list(
        qs.order_by("user__first_name", "user__last_name", "user_id").values(
            "user_id", "user__first_name", "user__last_name", "bio", "hourly_rate", "currency", "categories",
            "languages", "availability", "is_verified", "rating_average", "rating_count", "rating_criteria",
        )[:20]
    )  # fmt: skip
    return JsonResponse({"count": qs.count(), "next": None, "previous": None, "results": rows})


def floor_me(request):
    user = _user(request, "user__email", "user__first_name", "user__last_name", "user__role")
    if user is None:
        return _unauthorized()
    return JsonResponse(user)


urlpatterns = [
    path("floor/sessions", floor_sessions),
    path("floor/sessions/<uuid:session_id>/status", floor_status),
    path("floor/sessions/<uuid:session_id>/messages", floor_messages),
    path("floor/coaches", floor_coaches),
    path("floor/me", floor_me),
    *api_urlpatterns,
]
