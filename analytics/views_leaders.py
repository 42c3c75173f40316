"""The analytics dashboard's leaders page: one row per branch with its leader (团长): members now,
joined and left in the period, orders paid and GMV, orders picked up, and the commission the branch's
orders earned (earned minus reversed) with its effective rate; then who received commission (leaders,
or inviters with the "referrer" setting). Owners and admins see every branch (or the
one they pick); a leader sees their own row only. Figures: ``analytics.selectors_leaders``."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from analytics import selectors_leaders
from analytics.pages import render_page
from communities.models import Community
from communities.pages import console_page
from communities.permissions import Perm


def figures(community: Community, period, branch: Community | None, *, everyone: bool) -> dict:
    rows = selectors_leaders.by_leader(community, period, branch=branch)
    total = {name: sum((row[name] for row in rows), start=0) for name in
             ("members", "joined", "left", "orders_paid", "gmv", "orders_completed", "commission")}
    return {"rows": rows, "total": total if len(rows) > 1 else None,
            "recipients": selectors_leaders.recipients(community, period, branch=branch)}


def charts(community: Community, data: dict) -> dict:
    rows = data["rows"]
    if not rows:
        return {"charts": {}}
    return {"charts": {"leaders": {
        "kind": "bars", "labels": [row["branch"] for row in rows],
        "series": [{"name": _("GMV"), "values": [row["gmv"] for row in rows], "money": True, "axis": 0},
                   {"name": _("Commission"), "values": [row["commission"] for row in rows], "money": True,
                    "axis": 0}]}}}


def _table_leaders(data):
    return ([_("Branch"), _("Leader"), _("Members"), _("Joined"), _("Left"), _("Orders paid"), _("GMV"),
             _("Orders picked up"), _("Commission earned"), _("Commission reversed"), _("Commission"),
             _("Effective commission rate (%)")],
            [[r["branch"], r["leader"] or "—", r["members"], r["joined"], r["left"], r["orders_paid"], r["gmv"],
              r["orders_completed"], r["commission_earned"], r["commission_reversed"], r["commission"],
              r["commission_rate"]] for r in data["rows"]])


def _table_recipients(data):
    return ([_("Member"), _("Orders"), _("Commission earned"), _("Commission reversed"), _("Commission")],
            [[r["name"], r["orders"], r["commission_earned"], r["commission_reversed"], r["commission"]]
             for r in data["recipients"]])


TABLES = {"leaders": _table_leaders, "recipients": _table_recipients}


@require_safe
@console_page(Perm.VIEW_ANALYTICS)
def leaders(request, community, membership):
    return render_page(request, community, membership, tab="leaders", template="analytics/leaders.html",
                       figures=figures, tables=TABLES, charts=charts)
