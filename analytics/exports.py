"""Large CSV exports of the analytics figures: requested (``export_request``, bounded per
community), written by a Celery task (``export_write``, streaming the rows) and downloaded when
ready. A leader exports only their branch and downloads only what they asked for.

Files are UTF-8 with a byte-order mark (Excel reads Chinese right) and formula-looking cells are
neutralised, like the console's other CSV exports (orders.exports).
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from datetime import timedelta

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics import selectors
from analytics.models_exports import AnalyticsExport
from analytics.replica import reading_replica
from analytics.rollups import day_bounds, zone
from communities.models import Community, Membership
from communities.permissions import Perm, acts_community_wide, check_perm
from core.exceptions import Forbidden, NotFound, TooManyAttempts, ValidationFailed
from orders.exports import _cell
from orders.models import Order

MAX_PENDING = 5
CHUNK = 2000
logger = logging.getLogger(__name__)
# A pending export older than this was lost (broker down, worker killed): it is marked failed and
# no longer holds one of the community's places.
STALE_AFTER = timedelta(minutes=30)
# A finished export (its file, or the failure) is kept this long, then deleted by the
# analytics.delete_expired_exports sweep.
KEEP_FOR = timedelta(days=7)


def exports_visible(actor: Membership):
    """The exports an actor sees: admins all of the community's; a leader those they asked for."""
    qs = AnalyticsExport.objects.filter(community=actor.community).select_related("branch", "requested_by")
    if acts_community_wide(actor):
        return qs
    return qs.filter(requested_by=actor.user_id, branch=actor.branch_id) if actor.branch_id else qs.none()


def export_for_download(actor: Membership, export_id: int) -> AnalyticsExport:
    """The export, if the actor may see it (else NotFound: another's export does not exist for them)."""
    check_perm(actor, Perm.VIEW_ANALYTICS)
    export = exports_visible(actor).filter(pk=export_id).first()
    if export is None:
        raise NotFound(_("No such export."), code="export_not_found")
    return export


def export_request(*, actor: Membership, kind: str, period: selectors.Period, period_name: str = "custom",
                   branch: Community | None = None) -> AnalyticsExport:
    """Ask for an export; the file is written by a task queued when this commits."""
    check_perm(actor, Perm.VIEW_ANALYTICS)
    if kind not in AnalyticsExport.Kind.values:
        message = _("Choose orders or daily.")
        raise ValidationFailed(message, code="invalid_kind", fields={"kind": [message]})
    if not acts_community_wide(actor) and branch is not None and branch.pk != actor.branch_id:
        raise Forbidden(_("A leader exports the figures of their own branch."))
    branch = selectors.scope_branch(actor, branch)
    community = actor.community
    with transaction.atomic():
        # One requester at a time per community: the pending count cannot be raced past.
        Community.objects.select_for_update().filter(pk=community.pk).first()
        pending = AnalyticsExport.objects.filter(community=community, status=AnalyticsExport.Status.PENDING)
        now = timezone.now()
        pending.filter(created_at__lt=now - STALE_AFTER).update(
            status=AnalyticsExport.Status.FAILED, error="not written in time", finished_at=now, expires_at=now + KEEP_FOR)
        pending = pending.count()
        if pending >= MAX_PENDING:
            raise TooManyAttempts(_("%(n)s exports are being prepared already; wait for one to finish.")
                                  % {"n": MAX_PENDING}, code="too_many_exports", retry_after=60)
        export = AnalyticsExport.objects.create(
            community=community, branch=branch, requested_by_id=actor.user_id, kind=kind, period=period_name[:10],
            start=period.start, end=period.end)
        from analytics.tasks import write_analytics_export
        # robust: a broker that is down must not turn the committed request into an error (the
        # export then fails as stale and its place is freed).
        transaction.on_commit(lambda: write_analytics_export.delay(export.pk), robust=True)
    return export


def _order_rows(export: AnalyticsExport):
    community = export.community
    lower, upper = day_bounds(community, export.start, export.end)
    orders = Order.objects.filter(community=community, paid_at__gte=lower, paid_at__lt=upper)
    if export.branch_id:
        orders = orders.filter(branch_id=export.branch_id)
    tz = zone(community)
    yield [_("Day"), _("Paid at"), _("Order"), _("Member"), _("Branch"), _("Total"), _("Currency"), _("Status")]
    values = orders.order_by("paid_at", "id").values_list(
        "id", "paid_at", "member__display_name", "branch__name", "total", "currency", "status")
    for pk, paid_at, member, branch, total, currency, status in values.iterator(chunk_size=CHUNK):
        local = timezone.localtime(paid_at, tz)
        yield [local.date().isoformat(), local.strftime("%Y-%m-%d %H:%M"), pk, member, branch or "", total,
               currency, status]


def _daily_rows(export: AnalyticsExport):
    period = selectors.Period(export.start, export.end)
    series = selectors._series(export.community, period, export.branch)
    # In the order of selectors.METRICS.
    yield [_("Day"), _("Members joined"), _("Orders paid"), _("GMV"), _("Buyers"), _("Refunds"),
           _("Orders refunded"), _("Orders completed"), _("Members left"), _("Commission earned"),
           _("Commission reversed"), _("Commission base")]
    for day, figures in sorted(series.items()):
        yield [day.isoformat(), *(getattr(figures, name) for name in selectors.METRICS)]


def export_write(export_id: int) -> str:
    """Write one export's file (the task's body). Idempotent: an export no longer pending is left."""
    export = AnalyticsExport.objects.select_related("community", "branch").filter(pk=export_id).first()
    if export is None or export.status != AnalyticsExport.Status.PENDING:
        return "skipped"
    rows = _order_rows(export) if export.kind == AnalyticsExport.Kind.ORDERS else _daily_rows(export)
    try:
        count = 0
        with tempfile.TemporaryFile() as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            text.write("\ufeff")
            writer = csv.writer(text)
            with reading_replica():  # the rows come from the replica when one is configured
                for index, row in enumerate(rows):
                    writer.writerow([_cell(value) for value in row])
                    count = index
            text.flush()
            raw.seek(0)
            name = f"{export.community.slug}-{export.kind}-{export.start}-{export.end}-{export.pk}.csv"
            with transaction.atomic():
                locked = AnalyticsExport.objects.select_for_update().get(pk=export.pk)
                if locked.status != AnalyticsExport.Status.PENDING:
                    return "skipped"
                locked.file.save(name, File(raw), save=False)
                locked.rows, locked.status, locked.finished_at = count, AnalyticsExport.Status.READY, timezone.now()
                locked.expires_at = locked.finished_at + KEEP_FOR
                locked.save(update_fields=["file", "rows", "status", "finished_at", "expires_at"])
            text.detach()
        return "ready"
    except Exception as exc:  # noqa: BLE001 — recorded on the export, shown as failed
        now = timezone.now()
        AnalyticsExport.objects.filter(pk=export.pk, status=AnalyticsExport.Status.PENDING).update(
            status=AnalyticsExport.Status.FAILED, error=str(exc)[:200], finished_at=now, expires_at=now + KEEP_FOR)
        return "failed"


def export_delete_expired(export: AnalyticsExport) -> None:
    """Delete an export past its keeping time: the row now, the file once that has committed (a
    file that cannot be deleted then is logged, never brought back)."""
    name, storage = export.file.name, export.file.storage
    export.delete()
    if name:
        def remove():
            try:
                storage.delete(name)
            except OSError:
                logger.warning("Could not delete the expired export file %s", name, exc_info=True)

        transaction.on_commit(remove)
