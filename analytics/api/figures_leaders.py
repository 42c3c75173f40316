"""/api/v1/communities/<slug>/analytics/leaders/: each branch's leader with the branch's figures and
the commission earned in the period (JSON or CSV). A leader reads their own row only."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _lazy
from rest_framework.response import Response

from analytics import selectors_leaders
from analytics.api import serializers_crowdleaders as s
from analytics.api.figures import TabularAPIView, _schema
from analytics.replica import reading_replica

HEADER = ["branch_id", "branch", "leader_id", "leader", "members", "joined", "left", "orders_paid", "gmv",
          "orders_completed", "commission_earned", "commission_reversed", "commission", "commission_rate"]


class LeadersView(TabularAPIView):
    """One row per branch (or the one asked; a leader's own) with its leader's figures over the period."""

    @_schema(s.LeadersSerializer, _lazy("Analytics: leaders"), csv=True,
             description=_lazy("Owners and admins: every branch, or ?branch=. A leader: their own branch."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        period, branch = self.period(), self.branch()
        rows = selectors_leaders.by_leader(self.community, period, branch=branch)
        if self.wants_csv():
            return self.csv(f"leaders-{period.start}-{period.end}", HEADER, ([r[n] for n in HEADER] for r in rows))
        return Response(s.LeadersSerializer({"period": {"start": period.start, "end": period.end,
                                                        "days": period.days}, "leaders": rows}).data)
