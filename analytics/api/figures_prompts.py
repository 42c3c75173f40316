"""API of the analytics page "Repurchase prompts": the prompted members against the holdout, the lift
and the products (CSV: the per-product table), and the prompts by day (CSV: the days). Owners and
admins read the community or a branch; a leader the members of their own branch."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _lazy
from rest_framework.response import Response

from analytics import selectors_prompts as sp
from analytics.api import serializers_prompts as s
from analytics.api.figures import TabularAPIView, _schema
from analytics.replica import reading_replica

PRODUCT_COLUMNS = ["product_id", "name", "sent", "opened", "converted", "conversion", "held_out",
                   "held_out_converted", "held_out_conversion"]
DAY_COLUMNS = ["day", "sent", "converted", "held_out", "held_out_converted"]


class PromptsView(TabularAPIView):
    """Repurchase prompts due in the period: prompted against held out, and the lift."""

    @_schema(s.PromptsSerializer, _lazy("Analytics: repurchase prompts against the holdout"), csv=True,
             description=_lazy("Prompts sent in the period (local days) and those held out; conversion is an order "
                               "of the product within 7 days that completed. CSV: the products table."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        period, branch = self.period(), self.branch()
        products = sp.products(self.community, period, branch=branch)
        if self.wants_csv():
            return self.csv(f"prompts-products-{period.start}-{period.end}", PRODUCT_COLUMNS,
                            ([row[name] for name in PRODUCT_COLUMNS] for row in products))
        data = {**sp.summary(self.community, period, branch=branch), "products": products}
        return Response(s.PromptsSerializer(data).data)


class PromptsDailyView(TabularAPIView):
    """Each day of the period: prompts sent and converted, held out and converted."""

    @_schema(s.PromptsDailySerializer, _lazy("Analytics: repurchase prompts by day"), csv=True,
             description=_lazy("Local days of the community. CSV: one row a day."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        period, branch = self.period(), self.branch()
        days = sp.daily(self.community, period, branch=branch)
        if self.wants_csv():
            return self.csv(f"prompts-daily-{period.start}-{period.end}", DAY_COLUMNS,
                            ([row["day"].isoformat(), *(row[n] for n in DAY_COLUMNS[1:])] for row in days))
        return Response(s.PromptsDailySerializer({"start": period.start, "end": period.end, "days": days}).data)
