"""/api/v1/communities/<slug>/analytics/crowdfunding/…: the dashboard's crowdfunding figures as JSON,
their tables as CSV. A leader reads their own branch's (rule in analytics.selectors_crowdfunding)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from analytics import selectors_crowdfunding as cf
from analytics.api import serializers_crowdleaders as s
from analytics.api.figures import TabularAPIView, _param, _schema
from analytics.replica import reading_replica
from core.exceptions import ValidationFailed

TABLE_PARAMETER = OpenApiParameter("table", {"type": "string", "enum": ["ended", "open"], "default": "ended"},
                                   description=_lazy("CSV: campaigns ended in the period, or open now"))
OPEN_HEADER = ["campaign_id", "title", "branch", "goal", "pledged", "percent", "backers", "deadline", "days_left"]
ENDED_HEADER = ["campaign_id", "title", "branch", "status", "settled_on", "goal", "raised", "percent", "backers"]
COLLECTION_HEADER = ["collection_id", "title", "organizer", "created_on", "status", "total", "shares",
                     "shares_paid", "paid", "refunded_shares", "outstanding"]


class CrowdfundingView(TabularAPIView):
    """Campaigns ended in the period, money pledged and backers, against the period before; campaigns
    open now with their progress."""

    @extend_schema(parameters=[TABLE_PARAMETER])
    @_schema(s.CrowdfundingSerializer, _lazy("Analytics: crowdfunding"), csv=True,
             description=_lazy("CSV: the campaigns ended in the period (table=ended) or open now (table=open)."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        period, branch = self.period(), self.branch()
        if self.wants_csv():
            table = _param(request, "table") or "ended"
            if table == "open":
                rows = cf.open_campaigns(self.community, branch=branch)
                return self.csv("campaigns-open", OPEN_HEADER, ([r[n] for n in OPEN_HEADER] for r in rows))
            if table != "ended":
                message = _("Choose ended or open.")
                raise ValidationFailed(message, code="invalid", fields={"table": [message]})
            rows = cf.ended_campaigns(self.community, period, branch=branch)
            return self.csv(f"campaigns-ended-{period.start}-{period.end}", ENDED_HEADER,
                            ([r[n] for n in ENDED_HEADER] for r in rows))
        data = cf.summary(self.community, period, branch=branch)
        data["open"] = cf.open_campaigns(self.community, branch=branch)
        data["ended"] = cf.ended_campaigns(self.community, period, branch=branch)
        return Response(s.CrowdfundingSerializer(data).data)


class CollectionsView(TabularAPIView):
    """Split-bill collections created in the period: shares, paid, outstanding."""

    @_schema(s.CollectionsSerializer, _lazy("Analytics: split-bill collections"), csv=True)
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        period, branch = self.period(), self.branch()
        rows = cf.collections(self.community, period, branch=branch)
        if self.wants_csv():
            return self.csv(f"collections-{period.start}-{period.end}", COLLECTION_HEADER,
                            ([r[n] for n in COLLECTION_HEADER] for r in rows))
        return Response(s.CollectionsSerializer({"period": {"start": period.start, "end": period.end,
                                                            "days": period.days}, "collections": rows}).data)
