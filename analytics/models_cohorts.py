"""Cohorts by first-order month, stored monthly: for each month of the last year, the members whose
first sold order fell in it (the cohort) and how many of them ordered in each month since. Written
only by ``analytics.rollups.refresh`` (with the daily rows); read by ``analytics.selectors_funnel``."""

from __future__ import annotations

from django.db import models


class CohortMonth(models.Model):
    """Members of ``cohort`` (first sold order that local month) with a sold order in ``month``
    (``month == cohort``: the cohort's size). ``branch`` NULL: the whole community."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    cohort = models.DateField()  # the first day of the local month
    month = models.DateField()  # the first day of the local month, cohort or later
    members = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "branch", "cohort", "month"], nulls_distinct=False,
                                    name="uniq_cohort_month"),
            models.CheckConstraint(condition=models.Q(month__gte=models.F("cohort")), name="cohort_month_after"),
        ]

    def __str__(self):
        return f"{self.community_id}/{self.branch_id or '*'} {self.cohort:%Y-%m} → {self.month:%Y-%m}"
