"""Every figure of the analytics dashboard as JSON, and the tabular ones as CSV (?format=csv or
Accept: text/csv). Owners and admins read the community or one branch (?branch=); a leader reads
their own branch whatever they ask (analytics.selectors.scope_branch)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotAcceptable
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from analytics import selectors, selectors_funnel, selectors_more
from analytics.replica import reading_replica
from analytics.api import serializers as s
from communities.api.views import CommunityAPIView
from communities.models import Community
from communities.permissions import Perm, acts_community_wide
from core.api import error_responses as errors
from core.exceptions import Forbidden, ValidationFailed
from core.inputs import parse_id
from orders.exports import csv_response

TAG = "analytics"
MAX_PARAM = 20  # longer than any valid period, month, date or id

PERIOD_PARAMETERS = [
    OpenApiParameter("period", {"type": "string", "enum": list(selectors.PERIOD_CHOICES), "default": "30d"},
                     description=_lazy("7d, 30d or 90d ending today; month (with month=); custom (start=, end=)")),
    OpenApiParameter("month", {"type": "string", "pattern": r"^\d{4}-\d{2}$", "maxLength": 7},
                     description=_lazy("With period=month: the month, e.g. 2026-11")),
    OpenApiParameter("start", OpenApiTypes.DATE, description=_lazy("With period=custom: the first day")),
    OpenApiParameter("end", OpenApiTypes.DATE, description=_lazy("With period=custom: the last day")),
]
BRANCH_PARAMETER = OpenApiParameter(
    "branch", {"type": "integer", "minimum": 1},
    description=_lazy("Owners and admins: one branch's figures. A leader always reads their own branch."))
CSV_ANSWER = OpenApiResponse(OpenApiTypes.STR, description=_lazy("CSV file (UTF-8 with a byte-order mark)"))


class CSVRenderer(BaseRenderer):
    """Lets ?format=csv through content negotiation; the view writes the CSV itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, (bytes, str)) else b""


def _param(request, name: str) -> str:
    value = request.query_params.get(name, "")
    if len(value) > MAX_PARAM or "\x00" in value:
        message = _("This value is not valid.")
        raise ValidationFailed(message, code="invalid", fields={name: [message]})
    return value


class AnalyticsAPIView(CommunityAPIView):
    permission = Perm.VIEW_ANALYTICS
    renderer_classes = [JSONRenderer]

    def period(self) -> selectors.Period:
        request = self.request
        return selectors.period_from(self.community, period=_param(request, "period") or "30d",
                                     month=_param(request, "month"), start=_param(request, "start"),
                                     end=_param(request, "end"))

    def branch(self) -> Community | None:
        """The branch to read: a leader's own; for admins the one ?branch= names (or all)."""
        if not acts_community_wide(self.membership):
            return selectors.scope_branch(self.membership, None)
        raw = _param(self.request, "branch")
        if raw == "":
            return None
        branch_id = parse_id(raw)
        branch = self.community.active_branches().filter(pk=branch_id).first() if branch_id else None
        if branch is None:
            message = _("Choose a branch of this community.")
            raise ValidationFailed(message, code="invalid_branch", fields={"branch": [message]})
        return branch

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:  # ?format= names a format this figure is not given in: not a missing page
            formats = ", ".join(renderer.format for renderer in self.get_renderers())
            raise NotAcceptable(_("This figure is given as %(formats)s only.") % {"formats": formats}) from None

    def handle_exception(self, exc):
        # Errors keep the one JSON shape, whatever format was asked for.
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)


class TabularAPIView(AnalyticsAPIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    def wants_csv(self) -> bool:
        return self.request.accepted_renderer.format == "csv"

    def csv(self, name: str, header: list, rows) -> object:
        return csv_response(f"{self.community.slug}-{name}.csv", header, rows)


def _schema(serializer, summary, *, csv: bool = False, branch: bool = True, period: bool = True, **kwargs):
    answers = {(200, "application/json"): serializer, **errors(400, 403, 404, 406)}
    if csv:
        answers[(200, "text/csv")] = CSV_ANSWER
    parameters = (PERIOD_PARAMETERS if period else []) + ([BRANCH_PARAMETER] if branch else [])
    return extend_schema(responses=answers, parameters=parameters, tags=[TAG], summary=summary, **kwargs)


class OverviewView(TabularAPIView):
    """Totals of the period against the period before, the daily series and the weekly sums."""

    @_schema(s.AnalyticsOverviewSerializer, _lazy("Analytics overview"), csv=True,
             description=_lazy("CSV: the daily series of the period."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        period, branch = self.period(), self.branch()
        data = selectors.overview(self.community, period, branch=branch)
        if self.wants_csv():
            names = selectors.METRICS
            return self.csv(f"daily-{period.start}-{period.end}", ["day", *names],
                            ([row["day"].isoformat(), *(row[n] for n in names)] for row in data["series"]))
        return Response(s.AnalyticsOverviewSerializer(data).data)


class MembersView(AnalyticsAPIView):
    """Members now and those who ordered in the last 7 and 30 days."""

    @_schema(s.AnalyticsMembersSerializer, _lazy("Analytics: members"), period=False)
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        return Response(s.AnalyticsMembersSerializer(selectors.members(self.community, branch=self.branch())).data)


class BranchesView(TabularAPIView):
    """Each branch's figures over the period (owners and admins), a page at a time (CSV: all)."""

    @_schema(s.AnalyticsBranchFiguresSerializer(many=True), _lazy("Analytics by branch"), csv=True, branch=False,
             description=_lazy("Owners and admins only: 403 for a leader."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        if not acts_community_wide(self.membership):
            raise Forbidden(_("Only owners and admins compare branches."))
        period = self.period()
        rows = selectors.by_branch(self.community, period)
        if self.wants_csv():
            header = ["branch_id", "name", "members", "joined", "orders_paid", "gmv", "orders_completed", "left"]
            return self.csv(f"branches-{period.start}-{period.end}", header,
                            ([row[name] for name in header] for row in rows))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.AnalyticsBranchFiguresSerializer(page, many=True).data)


class TopProductsView(TabularAPIView):
    """The ten products sold most in the period, by money (one page; CSV: all ten)."""

    @_schema(s.AnalyticsTopProductSerializer(many=True), _lazy("Analytics: top products"), csv=True)
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        period = self.period()
        rows = selectors.top_products(self.community, period, branch=self.branch())
        if self.wants_csv():
            return self.csv(f"top-products-{period.start}-{period.end}",
                            ["product_id", "name", "quantity", "amount", "orders"],
                            ([r["product_id"], r["product__name"], r["quantity"], r["amount"], r["orders"]]
                             for r in rows))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.AnalyticsTopProductSerializer(page, many=True).data)


class RoundsView(AnalyticsAPIView):
    """Rounds settled in the period and how many reached their goal."""

    @_schema(s.AnalyticsRoundsSerializer, _lazy("Analytics: rounds"))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        period = self.period()
        data = selectors.rounds(self.community, period, branch=self.branch())
        return Response(s.AnalyticsRoundsSerializer(data).data)


class RepurchaseView(AnalyticsAPIView):
    """Buyers of the last 90 days who ordered twice or more in them."""

    @_schema(s.AnalyticsRepurchaseSerializer, _lazy("Analytics: repurchase rate"), period=False)
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        data = selectors_more.repurchase(self.community, branch=self.branch())
        return Response(s.AnalyticsRepurchaseSerializer(data).data)


class SourcesView(TabularAPIView):
    """Members who joined in the period: top inviters, invite links, and those with no inviter."""

    @_schema(s.AnalyticsSourcesSerializer, _lazy("Analytics: member sources"), csv=True,
             description=_lazy("CSV: the top inviters and their counts, then the joins with no inviter."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        period = self.period()
        data = selectors_more.sources(self.community, period, branch=self.branch())
        if self.wants_csv():
            rows = [[row["user_id"], row["name"], row["joined"]] for row in data["inviters"]]
            rows.append(["", _("No inviter"), data["no_inviter"]])
            return self.csv(f"sources-{period.start}-{period.end}", ["inviter_id", "inviter", "joined"], rows)
        return Response(s.AnalyticsSourcesSerializer(data).data)


class CohortsView(TabularAPIView):
    """Members by the month of their first paid order, and how many ordered again each later month: the
    cohort table as the nightly refresh stored it, in this endpoint's first shape (no rates)."""

    @_schema(s.AnalyticsCohortsSerializer, _lazy("Analytics: cohorts"), csv=True, period=False,
             description=_lazy("The last 12 months as of the last refresh (cohort-table adds the rates). CSV: one "
                               "row per month, then after_1, after_2… the months after."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        data = selectors_funnel.cohort_table(self.community, branch=self.branch())
        if self.wants_csv():
            width = len(data["cohorts"]) - 1
            header = ["month", "members", *(f"after_{k}" for k in range(1, width + 1))]
            rows = ([row["month"].strftime("%Y-%m"), row["members"], *(c["members"] for c in row["later"])]
                    for row in data["cohorts"])
            return self.csv(f"cohorts-{data['start']:%Y-%m}", header, rows)
        return Response(s.AnalyticsCohortsSerializer(data).data)
