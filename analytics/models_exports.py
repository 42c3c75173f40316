"""Large CSV exports of the dashboard's figures: asked for in the console or the API, written by a
Celery task (analytics.tasks), offered for download when ready. Written only by analytics.exports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AnalyticsExport(models.Model):
    class Kind(models.TextChoices):
        ORDERS = "orders", _("Orders paid in the period")
        DAILY = "daily", _("Daily figures")

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="analytics_exports")
    # The branch the export covers (NULL: the whole community). A leader's exports are their branch's.
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    period = models.CharField(max_length=10)
    start = models.DateField()
    end = models.DateField()
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="exports/", max_length=200, blank=True)
    rows = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Kept this long after it was finished (ready or failed), then deleted with its file.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "status"], name="analytics_export_status"),
                   models.Index(fields=["community", "-created_at"], name="analytics_export_recent"),
                   models.Index(fields=["expires_at"], condition=Q(expires_at__isnull=False),
                                name="analytics_export_expiry")]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="analytics_export_dates")]

    def __str__(self):
        return f"{self.community_id} {self.kind} {self.start}–{self.end} ({self.status})"
