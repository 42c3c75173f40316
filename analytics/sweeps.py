"""Analytics' periodic work, through core's sweep mechanism: the nightly rollup refresh (one
community per row) and deleting exports past their keeping time (one export per row)."""

from django.utils.translation import gettext_lazy as _

from analytics.exports import export_delete_expired
from analytics.models import AnalyticsExport, RollupState
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


@register
class DeleteExpiredExports(Sweep):
    name = "analytics.delete_expired_exports"
    label = _("Deleting old analytics exports")
    batch = 200

    def due(self, now):
        return AnalyticsExport.objects.filter(expires_at__lte=now).order_by("expires_at", "id")

    def settle(self, export, now):
        export_delete_expired(export)

    def describe(self, export):
        return f"analytics export #{export.pk}"
