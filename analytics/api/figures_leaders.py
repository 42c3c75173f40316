"""/api/v1/communities/<slug>/analytics/leaders/: each branch's leader with the branch's figures and
the commission its orders earned in the period; …/commission-recipients/: who received commission
(leaders, or inviters with the "referrer" setting). JSON or CSV. A leader reads their own branch only."""

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


RECIPIENT_HEADER = ["user_id", "name", "orders", "commission_earned", "commission_reversed", "commission"]


class RecipientsView(TabularAPIView):
    """The members who received most commission in the period (on the branch's orders, for a leader)."""

    @_schema(s.RecipientsSerializer, _lazy("Analytics: commission recipients"), csv=True,
             description=_lazy("Owners and admins: every order, or ?branch=. A leader: their branch's orders."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        period, branch = self.period(), self.branch()
        rows = selectors_leaders.recipients(self.community, period, branch=branch)
        if self.wants_csv():
            return self.csv(f"commission-recipients-{period.start}-{period.end}", RECIPIENT_HEADER,
                            ([r[n] for n in RECIPIENT_HEADER] for r in rows))
        return Response(s.RecipientsSerializer({"period": {"start": period.start, "end": period.end,
                                                           "days": period.days}, "recipients": rows}).data)
