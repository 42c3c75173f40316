"""Periodic work of the repurchase area: the daily prompts (定时复购提醒) (core.sweeps), imported by engagement/sweeps.py."""

from __future__ import annotations

from datetime import datetime

from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from communities.models import Membership
from core.sweeps import Sweep, register
from engagement import repurchase


@register
class RepurchasePromptSweep(Sweep):
    """Hourly (a beat entry): each member due for a prompt gets one, the most overdue. A row is a
    membership, so a member whose prompt fails (recorded, retried after the backoff) never stops
    the others; the prompt's unique key and the frequency cap (checked again under the membership's
    lock) leave the member no longer due once prompted, so a rerun sends nothing twice. A member
    in the holdout gets the row (``held_out``) and no notice, decided by a hash of the purchase
    (``repurchase.is_held_out``), so every run and worker decides alike."""

    name = "engagement.repurchase_prompts"
    label = _("Repurchase prompts")
    batch = 500  # each read of the due ids runs the whole due query: few, large batches
    lock_no_key = True  # many rows reference a membership by foreign key

    def due(self, now: datetime):
        sql, params = repurchase.due_memberships_sql(now)
        return Membership.objects.filter(pk__in=RawSQL(sql, params)).order_by("pk")

    def claim(self, pk, now: datetime):
        # Only the row lock: settle recomputes this member's due prompt under it (running the
        # whole due query again for one row would cost as much as the batch read).
        return (Membership.objects.filter(pk=pk, status=Membership.Status.ACTIVE)
                .select_for_update(skip_locked=True, of=("self",), no_key=True).first())

    def settle(self, membership: Membership, now: datetime) -> None:
        found = repurchase.due_prompts(now, community_id=membership.community_id, member_id=membership.user_id)
        if found:
            repurchase.repurchase_prompt_send(due=found[0], now=now)

    def console_url(self, membership: Membership) -> str:
        from django.urls import reverse

        return reverse("engagement_console:repurchase", kwargs={"slug": membership.community.slug})

    def describe(self, membership: Membership) -> str:
        return str(membership.user)
