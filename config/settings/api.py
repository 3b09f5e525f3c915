"""The HTTP API: Django REST framework, knox tokens, the OpenAPI document, request sizes, logging."""

from __future__ import annotations

from datetime import timedelta

from config.settings.base import env
from config.settings.rules import AUTH_TOKEN_TTL_HOURS

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["config.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # orjson, same bytes as DRF's JSONRenderer (config/api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["config.api.renderers.OrjsonRenderer"],
    # JSON only: the one endpoint taking files (chat messages) adds multipart itself, so the schema does
    # not advertise form bodies where they cannot succeed.
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.JSONParser"],
    # The test client speaks the API's language: JSON unless a test says otherwise.
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.api.contract.ContractAutoSchema",
    "EXCEPTION_HANDLER": "config.api.exceptions.exception_handler",
    # One cache round trip a request, failing open when the cache is down (config/api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api.throttling.AnonRateThrottle",
        "config.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_THROTTLE_USER", default="600/min"),
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(hours=AUTH_TOKEN_TTL_HOURS),
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Coaching sessions API",
    "DESCRIPTION": (
        "Book paid 1:1 video sessions with coaches, meet over Agora, chat, record, report and rate. "
        'Every error has the shape {"error": {"code", "message", "fields"?}}.'
    ),
    "VERSION": "1.0.0",
    # 3.1 for its "webhooks": the events POSTed to receiving endpoints (webhooks/schema.py, docs/webhooks.md).
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": [
        f"webhooks.schema.{name}"
        for name in (
            "session_booked",
            "session_rescheduled",
            "session_started",
            "session_end_requested",
            "session_end_declined",
            "session_completed",
            "session_cancelled",
            "recording_available",
            "recording_expired",
            "rating_published",
            "coach_verified",
        )
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page loads Swagger UI from this app's static files (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["config.api.schema.paths_without_trailing_slash"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.document_common_errors",
        "config.api.schema.describe_notification_preferences",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "sessions_app.models.Session.Status",
        "AvailabilityEnum": "accounts.models.CoachProfile.Availability",
        "UserRoleEnum": "accounts.models.User.Role",
        "RegisterRoleEnum": [("customer", "Customer"), ("coach", "Coach")],
        "RatingStatusEnum": "ratings.models.Rating.Status",
        "AttendanceEnum": "sessions_app.models.Session.Attendance",
        "ProblemKindEnum": "sessions_app.models.ProblemReport.Kind",
        "NotificationKindEnum": "notifications.kinds.Kind",
        "SessionLogActionEnum": "sessions_app.models.SessionLog.Action",
        "ClientActionEnum": "sessions_app.models.SessionLog.CLIENT_ACTIONS",
        "InstantBookingTypeEnum": "sessions_app.schema_rules.INSTANT_TYPES",
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
