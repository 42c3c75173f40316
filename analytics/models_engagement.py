"""Engagement rollups: daily check-ins and points per local day (and per branch), and each member's
check-in days per month, so the engagement page reads a few hundred rows instead of scanning a
million check-ins or points lines. Written only by ``analytics.rollups_engagement`` (within the
nightly refresh); read by ``analytics.selectors_engagement``.

A branch's rows count the members whose membership is in that branch when the rows were computed
(the refresh recomputes its window every night); ``branch`` NULL is the whole community.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class DailyCheckInRollup(models.Model):
    """Check-ins (签到) on one local day, and the longest streak reached that day."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    day = models.DateField()
    check_ins = models.PositiveIntegerField(default=0)
    longest_streak = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "branch", "day"], nulls_distinct=False,
                                    name="uniq_daily_check_in_rollup"),
        ]


class DailyPointsRollup(models.Model):
    """Points issued (positive lines) and spent (negative lines, as a positive number) on one local
    day for one reason."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    day = models.DateField()
    reason = models.CharField(max_length=20)  # PointsEntry.reason
    issued = models.PositiveBigIntegerField(default=0)
    spent = models.PositiveBigIntegerField(default=0)
    entries = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "branch", "day", "reason"], nulls_distinct=False,
                                    name="uniq_daily_points_rollup"),
        ]


class CheckInMonth(models.Model):
    """The days of one local month a member checked in: bit ``d - 1`` of ``days`` is day ``d``. The
    distinct members who checked in over any period are counted from these (a few rows per member)
    rather than from every check-in."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    month = models.DateField()  # the first day of the local month
    days = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "month", "member"], name="uniq_check_in_month"),
            models.CheckConstraint(condition=~Q(days=0), name="check_in_month_has_days"),
        ]
        indexes = [models.Index(fields=["community", "branch", "month"], name="check_in_month_branch")]


class PostLedOrder(models.Model):
    """An order a post led to: paid within ``LED_TO_DAYS`` after its buyer first opened the post, of a
    round the post features or with a product it features (``analytics.rollups_engagement.LED_SQL``).
    Stored by the nightly refresh for the orders paid in its window; today's are found live. Whether
    the order still counts (not cancelled or refunded since) is read from the order."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("engagement.Post", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    paid_at = models.DateTimeField()  # the order's, for the refresh window

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "order"], name="uniq_post_led_order")]
        indexes = [models.Index(fields=["community", "paid_at"], name="post_led_order_paid")]
