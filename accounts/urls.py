from accounts import apis
from config.api.routing import api_path

urlpatterns = [
    api_path("auth/register", apis.RegisterApi.as_view(), "auth-register"),
    api_path("auth/login", apis.LoginApi.as_view(), "auth-login"),
    api_path("auth/logout", apis.LogoutApi.as_view(), "auth-logout"),
    # Notifications issue: account e-mails
    api_path("auth/verify-email", apis.VerifyEmailApi.as_view(), "auth-verify-email"),
    api_path("auth/password-reset", apis.PasswordResetApi.as_view(), "auth-password-reset"),
    api_path("auth/password-reset/confirm", apis.PasswordResetConfirmApi.as_view(), "auth-password-reset-confirm"),
    api_path("auth/password", apis.PasswordChangeApi.as_view(), "auth-password"),
    api_path("me", apis.MeApi.as_view(), "me"),
    api_path("coach/profile", apis.CoachProfileApi.as_view(), "coach-profile"),
    api_path("coach/availability", apis.CoachAvailabilityApi.as_view(), "coach-availability"),
    api_path("coaches", apis.CoachListApi.as_view(), "coach-list"),
    api_path("coaches/<coach_id>", apis.CoachDetailApi.as_view(), "coach-detail"),
]
