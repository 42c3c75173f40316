"""Large CSV exports through the API: ask (202, written by a Celery task), list, read one, and
download the file when ready. A leader exports their own branch and sees only their own exports."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from analytics import exports, selectors
from analytics.api import serializers as s
from analytics.api.figures import AnalyticsAPIView
from analytics.models_exports import AnalyticsExport
from core.api import error_responses as errors
from core.exceptions import Conflict, ValidationFailed

TAG = "analytics"


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        fields = {name: [str(m) for m in messages] for name, messages in serializer.errors.items()}
        raise ValidationFailed(_("Some fields are not valid."), fields=fields)
    return serializer.validated_data


class ExportListView(AnalyticsAPIView):
    """The community's exports (a leader: their own), newest first; POST asks for a new one."""

    parser_classes = [JSONParser]
    queryset = AnalyticsExport.objects.none()

    @extend_schema(responses={200: s.AnalyticsExportSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Analytics exports"))
    def get(self, request, slug):
        page = self.paginate_queryset(exports.exports_visible(self.membership))
        return self.get_paginated_response(s.AnalyticsExportSerializer(page, many=True, context={"slug": slug}).data)

    @extend_schema(request=s.AnalyticsExportRequestSerializer,
                   responses={202: s.AnalyticsExportSerializer, **errors(400, 403, 404, 429)}, tags=[TAG],
                   summary=_lazy("Ask for a CSV export"),
                   description=_lazy("orders: every order paid in the period (day, member, branch, total, "
                                     "status); daily: the daily figures. Written in the background: poll the "
                                     "export until its status is ready, then GET its download_url. At most 5 "
                                     "are prepared at once per community (429)."))
    def post(self, request, slug):
        data = _valid(s.AnalyticsExportRequestSerializer, request.data)
        period = selectors.period_from(self.community, period=data["period"], month=data.get("month"),
                                       start=data.get("start"), end=data.get("end"))
        branch = None
        if data.get("branch") is not None:
            branch = self.community.active_branches().filter(pk=data["branch"]).first()
            if branch is None:
                message = _("Choose a branch of this community.")
                raise ValidationFailed(message, code="invalid_branch", fields={"branch": [message]})
        export = exports.export_request(actor=self.membership, kind=data["kind"], period=period,
                                        period_name=data["period"], branch=branch)
        export.refresh_from_db()
        return Response(s.AnalyticsExportSerializer(export, context={"slug": slug}).data,
                        status=status.HTTP_202_ACCEPTED)


class ExportDetailView(AnalyticsAPIView):
    @extend_schema(responses={200: s.AnalyticsExportSerializer, **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("An analytics export"))
    def get(self, request, slug, pk):
        export = exports.export_for_download(self.membership, pk)
        return Response(s.AnalyticsExportSerializer(export, context={"slug": slug}).data)


class ExportDownloadView(AnalyticsAPIView):
    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY,
                                                                 description=_lazy("The CSV file")),
                              **errors(403, 404, 409)}, tags=[TAG], summary=_lazy("Download an analytics export"),
                   description=_lazy("Owners and admins, or the leader who asked for it. 409 until it is ready."))
    def get(self, request, slug, pk):
        export = exports.export_for_download(self.membership, pk)
        if export.status != AnalyticsExport.Status.READY or not export.file:
            raise Conflict(_("This export is not ready."), code="export_not_ready")
        return FileResponse(export.file.open("rb"), as_attachment=True, content_type="text/csv; charset=utf-8",
                            filename=export.file.name.rsplit("/", 1)[-1])
