from config.api.routing import api_path
from sessions_app import apis, policy_apis

urlpatterns = [
    api_path("coach/appointments", apis.CoachAppointmentListApi.as_view(), "coach-appointments"),
    api_path(
        "coach/appointments/<appointment_id>", apis.CoachAppointmentDetailApi.as_view(), "coach-appointment-detail"
    ),
    api_path("coaches/<coach_id>/appointments", apis.CoachFreeAppointmentsApi.as_view(), "coach-free-appointments"),
    api_path("sessions", apis.SessionListApi.as_view(), "session-list"),
    api_path("sessions/current", apis.SessionCurrentApi.as_view(), "session-current"),
    api_path("sessions/<session_id>", apis.SessionDetailApi.as_view(), "session-detail"),
    api_path("sessions/<session_id>/status", apis.SessionStatusApi.as_view(), "session-status"),
    api_path("sessions/<session_id>/cancel", apis.SessionCancelApi.as_view(), "session-cancel"),
    api_path("sessions/<session_id>/start-call", apis.SessionStartCallApi.as_view(), "session-start-call"),
    api_path("sessions/<session_id>/token", apis.SessionTokenApi.as_view(), "session-token"),
    api_path("sessions/<session_id>/end", apis.SessionEndApi.as_view(), "session-end"),
    api_path("sessions/<session_id>/end/decline", apis.SessionEndDeclineApi.as_view(), "session-end-decline"),
    api_path("sessions/<session_id>/logs", apis.SessionLogsApi.as_view(), "session-logs"),
    api_path("sessions/<session_id>/report", apis.SessionReportApi.as_view(), "session-report"),
    api_path(
        "sessions/<session_id>/postpone-requests", policy_apis.PostponeRequestListApi.as_view(), "postpone-requests"
    ),
    *[
        api_path(
            f"sessions/<session_id>/postpone-requests/<request_id>/{answer}",
            policy_apis.PostponeRequestAnswerApi.as_view(answer=answer),
            f"postpone-request-{answer}",
        )
        for answer in ("accept", "decline", "withdraw")
    ],
    api_path("sessions/<session_id>/problems", policy_apis.ProblemReportListApi.as_view(), "problem-reports"),
    api_path(
        "sessions/<session_id>/problems/<problem_id>/response",
        policy_apis.ProblemResponseApi.as_view(),
        "problem-report-response",
    ),
]
