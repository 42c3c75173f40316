"""The nightly rollup refresh, through core's sweep mechanism (one community per row)."""

from django.utils.translation import gettext_lazy as _

from analytics.models import RollupState
from analytics.rollups import refresh
from core.sweeps import Sweep, register


@register
class RefreshRollups(Sweep):
    name = "analytics.refresh_rollups"
    label = _("Refreshing the analytics figures")
    batch = 50

    def due(self, now):
        return RollupState.objects.filter(next_refresh_at__lte=now).order_by("next_refresh_at", "id")

    def settle(self, state, now):
        refresh(state.community, now=now)

    def community_id(self, state):
        return state.community_id

    def describe(self, state):
        return f"analytics of community #{state.community_id}"
