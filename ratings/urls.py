from config.api.routing import api_path
from ratings import apis

urlpatterns = [
    api_path("sessions/<session_id>/rating", apis.SessionRatingApi.as_view(), "session-rating"),
    api_path("coaches/<coach_id>/ratings", apis.CoachRatingListApi.as_view(), "coach-ratings"),
]
