from __future__ import annotations

from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.errors import NotFoundError, PermissionDeniedError
from config.api.schema import errors
from privacy import selectors, services
from privacy.errors import BadExportToken
from privacy.models import DataExport
from privacy.serializers import DataExportCreatedSerializer, DataExportSerializer


def export_body(export: DataExport) -> dict:
    now = timezone.now()
    status_ = export.status
    url = None
    expires_at = export.expires_at
    if status_ == DataExport.Status.READY and expires_at and expires_at <= now:
        status_ = DataExport.Status.EXPIRED  # the sweep has not deleted it yet; it is over all the same
    if status_ == DataExport.Status.READY:
        url, _ = services.data_export_link(export=export, now=now)
    return {
        "id": export.id,
        "status": status_,
        "created_at": export.created_at,
        "ready_at": export.ready_at,
        "url": url,
        "expires_at": expires_at,
    }


class MeExportApi(APIView):
    @extend_schema(responses={200: DataExportSerializer, **errors("not_authenticated", "not_found")})
    def get(self, request):
        export = selectors.data_export_latest(user=request.user)
        if export is None:
            raise NotFoundError("You have not asked for a data export yet.")
        return Response(DataExportSerializer(export_body(export)).data)

    @extend_schema(
        request=None, responses={202: DataExportCreatedSerializer, **errors("not_authenticated", "throttled")}
    )
    def post(self, request):
        export = services.data_export_request(user=request.user)
        return Response(DataExportCreatedSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class ExportDownloadApi(APIView):
    """The signed link of an export on the local file system (S3 hands out presigned URLs)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={200: OpenApiResponse(description="The ZIP."), **errors("permission_denied", "not_found")}, auth=[]
    )
    def get(self, request, token):
        try:
            export = services.data_export_for_token(token=token)
        except BadExportToken as exc:
            raise PermissionDeniedError(str(exc))
        response = FileResponse(
            services.data_export_open(export=export),
            content_type="application/zip",
            as_attachment=True,
            filename="export.zip",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
