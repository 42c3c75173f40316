"""Daily rollups: each community's figures per local day (and per branch), so the dashboard reads a
few hundred rows instead of scanning orders. Written only by ``analytics.rollups``; read by
``analytics.selectors``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

MONEY = {"max_digits": 14, "decimal_places": 2}


class DailyRollup(models.Model):
    """One local day of one community (``branch`` NULL: the whole community) or of one branch."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    day = models.DateField()
    members_joined = models.PositiveIntegerField(default=0)
    members_left = models.PositiveIntegerField(default=0)  # left, removed or banned that day (and not back)
    # Orders paid that day and not cancelled or refunded since (net), their totals, their buyers.
    orders_paid = models.PositiveIntegerField(default=0)
    gmv = models.DecimalField(default=0, **MONEY)
    buyers = models.PositiveIntegerField(default=0)
    # Money given back that day (refunds done or owed), and the orders it concerned.
    refunds = models.DecimalField(default=0, **MONEY)
    orders_refunded = models.PositiveIntegerField(default=0)
    # Orders completed (picked up or delivered) that day.
    orders_completed = models.PositiveIntegerField(default=0)
    # Commission (团长佣金) earned that day on the orders (of the branch), reversed that day (a positive
    # amount), and the order totals it was earned on.
    commission_earned = models.DecimalField(default=0, **MONEY)
    commission_reversed = models.DecimalField(default=0, **MONEY)
    commission_base = models.DecimalField(default=0, **MONEY)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["community", "day"]
        constraints = [
            models.UniqueConstraint(fields=["community", "branch", "day"], nulls_distinct=False,
                                    name="uniq_daily_rollup"),
            models.CheckConstraint(condition=Q(gmv__gte=0) & Q(refunds__gte=0), name="rollup_money_not_negative"),
            models.CheckConstraint(condition=Q(commission_earned__gte=0) & Q(commission_reversed__gte=0)
                                   & Q(commission_base__gte=0), name="rollup_commission_not_negative"),
        ]

    def __str__(self):
        return f"{self.community_id}/{self.branch_id or '*'} {self.day}"


class DailyProductRollup(models.Model):
    """One product's sales on one local day of a community (``branch`` NULL) or of one branch: what
    the top products read instead of joining a period's order lines to their orders."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    day = models.DateField()
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(default=0, **MONEY)
    orders = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "branch", "day", "product"], nulls_distinct=False,
                                    name="uniq_daily_product_rollup"),
        ]


class RollupState(models.Model):
    """When a community's rollups are next refreshed (the ``analytics.rollups`` sweep's due time)."""

    community = models.OneToOneField("communities.Community", on_delete=models.CASCADE, related_name="+")
    next_refresh_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # Days before this one are final (the nightly refresh recomputes from here).
    refreshed_from = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_refresh_at"], condition=Q(next_refresh_at__isnull=False),
                                name="rollup_state_due")]


# Exports live in their own module; importing it here registers the model with the app.
from analytics.models_exports import AnalyticsExport  # noqa: E402
from analytics.models_cohorts import CohortMonth  # noqa: E402
from analytics.models_engagement import (  # noqa: E402
    CheckInMonth, DailyCheckInRollup, DailyPointsRollup, PostLedOrder,
)

__all__ = ["AnalyticsExport", "CheckInMonth", "CohortMonth", "DailyCheckInRollup", "DailyPointsRollup",
           "DailyProductRollup", "DailyRollup", "PostLedOrder", "RollupState"]
