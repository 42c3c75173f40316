"""The funnel page's figures in the API: the 接龙 funnel of the rounds that closed in the period, and
the cohort table as the nightly refresh stored it (analytics.selectors_funnel)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _lazy
from rest_framework.response import Response

from analytics import selectors_funnel
from analytics.api import serializers_funnel as s
from analytics.api.figures import TabularAPIView, _schema
from analytics.replica import reading_replica


class FunnelView(TabularAPIView):
    """Saw → ordered → paid → picked up, member × round pairs, for the rounds that closed in the
    period; and the 20 rounds with the most orders (CSV: those rounds)."""

    @_schema(s.FunnelSerializer, _lazy("Analytics: group-buy funnel"), csv=True,
             description=_lazy("Rounds that closed in the period. Views are recorded since the feature shipped: "
                               "a stage may exceed the one before. CSV: one row per round (the top 20 by orders)."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        period = self.period()
        data = selectors_funnel.funnel(self.community, period, branch=self.branch())
        if self.wants_csv():
            header = ["group_buy_id", "title", "closes_at", "closes_on", "orders", "saw", "ordered", "paid", "completed",
                      "ordered_unseen"]
            return self.csv(f"funnel-rounds-{period.start}-{period.end}", header,
                            ([r[n].isoformat() if n in ("closes_at", "closes_on") else r[n] for n in header]
                             for r in data["rounds"]))
        return Response(s.FunnelSerializer(data).data)


class CohortTableView(TabularAPIView):
    """Members by the month of their first paid order and how many ordered in each later month, as the
    nightly refresh stored them (fast; the live ``cohorts`` endpoint counts them at each call)."""

    @_schema(s.CohortTableSerializer, _lazy("Analytics: cohort table"), csv=True, period=False,
             description=_lazy("The last 12 months. CSV: one row per month, then after_1, after_2… the months "
                               "after (members), and rate_1, rate_2… (share of the cohort)."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        data = selectors_funnel.cohort_table(self.community, branch=self.branch())
        if self.wants_csv():
            width = len(data["cohorts"]) - 1
            header = ["month", "members", *(f"after_{k}" for k in range(1, width + 1)),
                      *(f"rate_{k}" for k in range(1, width + 1))]
            rows = []
            for row in data["cohorts"]:
                pad = [""] * (width - len(row["later"]))
                rows.append([row["month"].strftime("%Y-%m"), row["members"], *(c["members"] for c in row["later"]),
                             *pad, *(c["rate"] if c["rate"] is not None else "" for c in row["later"]), *pad])
            return self.csv(f"cohort-table-{data['start']:%Y-%m}", header, rows)
        return Response(s.CohortTableSerializer(data).data)
