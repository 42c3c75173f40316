"""Periodic work of the polls area (core.sweeps), imported by engagement/sweeps.py."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from core.sweeps import Sweep, register
from engagement import polls as services
from engagement.models import Poll


@register
class PollResultsSweep(Sweep):
    """A poll whose closing time passed is marked closed (its status is the "done" marker, taken
    under the poll's row lock) and its voters are told the results once (dedupe key per voter)."""

    name = "engagement.poll_results"
    label = _("Closing polls and telling voters the results")
    lock_no_key = True  # ballots reference the poll

    def due(self, now: datetime):
        return Poll.objects.filter(status=Poll.Status.OPEN, closes_at__lte=now).order_by("closes_at", "pk")

    def settle(self, obj: Poll, now: datetime) -> None:
        services.poll_close_due(poll_id=obj.pk, now=now)

    def console_url(self, obj: Poll) -> str:
        from django.urls import reverse

        return reverse("engagement_console:poll", kwargs={"slug": obj.community.slug, "pk": obj.pk})

    def describe(self, obj: Poll) -> str:
        return obj.question
