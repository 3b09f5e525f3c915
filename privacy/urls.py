from django.urls import re_path

from config.api.routing import api_path
from privacy import apis

urlpatterns = [
    api_path("me/export", apis.MeExportApi.as_view(), "me-export"),
    re_path(
        r"^me/export/files/(?P<token>[A-Za-z0-9_\-:]+)/?$",
        apis.ExportDownloadApi.as_view(),
        name="privacy-export-download",
    ),
]
