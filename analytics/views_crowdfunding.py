"""The analytics dashboard's crowdfunding page: campaigns ended in the period and their results,
money pledged and its backers, campaigns open now with their progress, and split-bill collections
(AA收款) with what was paid and what is still owed. Each table has its CSV (``?format=csv&table=``).
A leader sees their branch's only (the rule is in ``analytics.selectors_crowdfunding``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_safe

from analytics import selectors_crowdfunding as cf
from analytics.pages import headline_cards, percent, render_page
from communities.models import Community
from communities.pages import console_page
from crowdfunding.models import Collection
from communities.permissions import Perm

HEADLINE = ("ended", "succeeded", "failed", "pledged", "backers", "shares_paid", "collected")
MONEY = {"pledged", "collected"}
RISE_IS_BAD = {"failed"}


def _labels() -> dict:
    return {"ended": _("Campaigns ended"), "succeeded": pgettext("campaign status", "Succeeded"),
            "failed": pgettext("campaign status", "Failed"),
            "pledged": _("Money pledged"), "backers": _("Backers"), "shares_paid": _("Collection shares paid"),
            "collected": _("Collected by split bills")}


def _cards(summary: dict) -> list[dict]:
    return headline_cards(HEADLINE, _labels(), summary["totals"], summary["previous_totals"], summary["changes"],
                          money=MONEY, rise_is_bad=RISE_IS_BAD)


def figures(community: Community, period, branch: Community | None, *, everyone: bool) -> dict:
    summary = cf.summary(community, period, branch=branch)
    summary["success_percent"] = percent(summary["totals"]["success_rate"])
    summary["success_percent_before"] = percent(summary["previous_totals"]["success_rate"])
    collections = cf.collections(community, period, branch=branch)
    labels = dict(Collection.Status.choices)
    for row in collections:
        row["status_label"] = str(labels.get(row["status"], row["status"]))
    return {"summary": summary, "cards": _cards(summary), "open": cf.open_campaigns(community, branch=branch),
            "ended": cf.ended_campaigns(community, period, branch=branch),
            "collections": collections, "limit": cf.LIMIT}


def charts(community: Community, data: dict) -> dict:
    out = {}
    if data["open"]:
        out["open"] = {"kind": "hbars", "labels": [row["title"] for row in data["open"]], "values_on_bars": True,
                       "series": [{"name": _("Share of the goal (%)"),
                                   "values": [row["percent"] for row in data["open"]], "money": False, "axis": 0}]}
    return {"charts": out}


def _table_headline(data):
    rows = [[card["label"], card["value"], card["before"], card["change"]] for card in data["cards"]]
    s = data["summary"]
    rows.insert(3, [_("Success rate (%)"), s["success_percent"], s["success_percent_before"], None])
    return [_("Figure"), _("This period"), _("Period before"), _("Change (%)")], rows


def _table_open(data):
    return ([_("Campaign"), _("Branch"), _("Goal"), _("Pledged"), _("Share of the goal (%)"), _("Backers"),
             _("Deadline"), _("Days left")],
            [[r["title"], r["branch"], r["goal"], r["pledged"], r["percent"], r["backers"], r["deadline"].isoformat(),
              r["days_left"]] for r in data["open"]])


def _result(row) -> str:
    return pgettext("campaign status", "Succeeded") if row["succeeded"] else pgettext("campaign status", "Failed")


def _table_ended(data):
    return ([_("Campaign"), _("Branch"), _("Result"), _("Settled on"), _("Goal"), _("Raised"),
             _("Share of the goal (%)"), _("Backers")],
            [[r["title"], r["branch"], _result(r), r["settled_on"].isoformat(), r["goal"], r["raised"], r["percent"],
              r["backers"]] for r in data["ended"]])


def _table_collections(data):
    return ([_("Collection"), _("Organizer"), _("Created on"), _("Status"), _("Total"), _("Shares"), _("Shares paid"),
             _("Paid"), _("Outstanding")],
            [[r["title"], r["organizer"], r["created_on"].isoformat(), r["status_label"], r["total"], r["shares"],
              r["shares_paid"], r["paid"], r["outstanding"]] for r in data["collections"]])


TABLES = {"headline": _table_headline, "open": _table_open, "ended": _table_ended, "collections": _table_collections}


@require_safe
@console_page(Perm.VIEW_ANALYTICS)
def crowdfunding(request, community, membership):
    return render_page(request, community, membership, tab="crowdfunding", template="analytics/crowdfunding.html",
                       figures=figures, tables=TABLES, charts=charts)
