from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api.routing import api_path
from config.api.views import api_not_found
from config.health import HealthApi

api_v1 = [
    api_path("health", HealthApi.as_view(), "health"),
    path("", include("accounts.urls")),
    path("", include("sessions_app.urls")),
    path("", include("chat.urls")),
    path("", include("recordings.urls")),
    path("", include("ratings.urls")),
    path("", include("privacy.urls")),
    path("", include("availability.urls")),
    path("", include("notifications.urls")),
    # Last: any other /api/v1/ path answers a JSON 404 in the API's error shape, DEBUG or not.
    # [\s\S]: a path with a newline in it (%0A) too, or DEBUG would answer Django's HTML 404 page.
    re_path(r"^[\s\S]*$", api_not_found),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the docs page runs under script-src 'self'.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    # Any other path under /api (another version, a typo) is a JSON 404 as well, DEBUG or not.
    re_path(r"^api(?:/[\s\S]*)?$", api_not_found),
]

handler400 = "config.api.views.bad_request"
handler404 = "config.api.views.not_found"
handler500 = "config.api.views.server_error"

# MEDIA_ROOT is never served as it is, not even with DEBUG on: chat files and recordings are only
# reachable through the API's time-limited signed links (chat/apis.py, recordings/apis.py).
