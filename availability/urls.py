from django.urls import re_path

from availability import apis
from config.api.routing import api_path

urlpatterns = [
    api_path("coach/schedule", apis.CoachScheduleApi.as_view(), "coach-schedule"),
    api_path("coach/time-off", apis.CoachTimeOffListApi.as_view(), "coach-time-off"),
    api_path("coach/time-off/<time_off_id>", apis.CoachTimeOffDetailApi.as_view(), "coach-time-off-detail"),
    api_path("me/calendar", apis.MeCalendarApi.as_view(), "me-calendar"),
    api_path("me/calendar/rotate", apis.MeCalendarRotateApi.as_view(), "me-calendar-rotate"),
    # The token is URL-safe base64 (43 characters); anything else never reaches the database.
    re_path(r"^calendar/(?P<token>[A-Za-z0-9_-]{20,100})\.ics$", apis.CalendarFeedApi.as_view(), name="calendar-feed"),
]
