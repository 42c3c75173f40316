"""The analytics dashboard in the console: for a period (7/30/90 days, a month, custom dates) against
the period before, the headline figures, orders and GMV by day (by week past 60 days), members, top
products, rounds' success and, for owners and admins, the branches. Each section is a chart drawn by
static/js/analytics.js from the page's JSON and the same figures as a table, which
``?format=csv&table=<name>`` gives as CSV (same period, same branch).

Owners and admins see the community or a branch they pick; a leader sees their own branch only
(``selectors.scope_branch``), on the page and in the CSV. The page reads the rollups through the
selectors: a fixed number of queries whatever the number of orders.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from analytics import selectors, selectors_more
from analytics.pages import headline_cards, percent, render_page
from communities.models import Community
from communities.pages import console_page
from communities.permissions import Perm

WEEKLY_AFTER_DAYS = 60
HEADLINE = ("gmv", "orders_paid", "buyers", "average_order_value", "refunds", "members_joined", "members_left")
MONEY_FIGURES = {"gmv", "average_order_value", "refunds"}
# A rise is bad news for these (shown in red).
RISE_IS_BAD = {"refunds", "members_left"}


def _headline_labels() -> dict:
    return {"gmv": _("GMV"), "orders_paid": _("Orders paid"), "buyers": _("Buyers"),
            "average_order_value": _("Average order value"), "refunds": _("Refunds"),
            "members_joined": _("Members joined"), "members_left": _("Members left")}


def _cards(overview: dict) -> list[dict]:
    return headline_cards(HEADLINE, _headline_labels(), overview["totals"], overview["previous_totals"],
                          overview["changes"], money=MONEY_FIGURES, rise_is_bad=RISE_IS_BAD)


def _figures(community: Community, period, branch: Community | None, *, everyone: bool) -> dict:
    overview = selectors.overview(community, period, branch=branch)
    weekly = period.days > WEEKLY_AFTER_DAYS
    members = selectors.members(community, branch=branch)
    members["conversion_percent"] = percent(members["conversion_30d"])
    rounds = selectors.rounds(community, period, branch=branch)
    rounds["success_percent"] = percent(rounds["success_rate"])
    repurchase = selectors_more.repurchase(community, branch=branch)
    repurchase["percent"] = percent(repurchase["rate"])
    return {
        "overview": overview, "cards": _cards(overview), "weekly": weekly,
        "sales": overview["weekly"] if weekly else overview["series"],
        "members": members, "products": selectors.top_products(community, period, branch=branch),
        "rounds": rounds, "branches": selectors.by_branch(community, period) if everyone and branch is None else None,
        "repurchase": repurchase, "sources": selectors_more.sources(community, period, branch=branch),
    }


def _chart_data(community: Community, figures: dict) -> dict:
    """What static/js/analytics.js draws for this page (Decimals as strings, dates as ISO)."""
    key = "week" if figures["weekly"] else "day"
    sales = figures["sales"]
    members = figures["members"]
    data = {
        "sales": {"by": key, "labels": [row[key] for row in sales], "orders": [row["orders_paid"] for row in sales],
                  "gmv": [row["gmv"] for row in sales]},
        "members": {"labels": [_("Members now"), _("Ordered in 30 days"), _("Ordered in 7 days")],
                    "values": [members["members"], members["ordered_30d"], members["ordered_7d"]]},
        "products": {"labels": [row["product__name"] for row in figures["products"]],
                     "amounts": [row["amount"] for row in figures["products"]]},
        "rounds": {"labels": [_("Reached their goal"), _("Failed")],
                   "values": [figures["rounds"]["succeeded"], figures["rounds"]["failed"]]},
        "text": {"orders": _("Orders paid"), "gmv": _("GMV"), "members": _("Members"), "amount": _("Sales"),
                 "rounds": _("Rounds"), "empty": _("Nothing in this period.")},
    }
    if figures["branches"] is not None:
        data["branches"] = {"labels": [row["name"] for row in figures["branches"]],
                            "gmv": [row["gmv"] for row in figures["branches"]]}
    return data


def _table_headline(figures):
    return ([_("Figure"), _("This period"), _("Period before"), _("Change (%)")],
            [[card["label"], card["value"], card["before"], card["change"]] for card in figures["cards"]])


def _table_sales(figures):
    key = "week" if figures["weekly"] else "day"
    header = [_("Week from") if key == "week" else _("Day"), _("Orders paid"), _("GMV"), _("Refunds"),
              _("Members joined"), _("Members left"), _("Orders picked up")]
    return header, [[row[key].isoformat(), row["orders_paid"], row["gmv"], row["refunds"], row["members_joined"],
                     row["members_left"], row["orders_completed"]] for row in figures["sales"]]


def _table_members(figures):
    members = figures["members"]
    return [_("Figure"), _("Value")], [
        [_("Members now"), members["members"]], [_("Ordered in 30 days"), members["ordered_30d"]],
        [_("Ordered in 7 days"), members["ordered_7d"]], [_("Conversion in 30 days (%)"), members["conversion_percent"]]]


def _table_products(figures):
    return ([_("Product"), _("Quantity"), _("Orders"), _("Sales")],
            [[row["product__name"], row["quantity"], row["orders"], row["amount"]] for row in figures["products"]])


def _table_rounds(figures):
    r = figures["rounds"]
    return ([_("Rounds settled"), _("Reached their goal"), _("Failed"), _("Success rate (%)")],
            [[r["settled"], r["succeeded"], r["failed"], r["success_percent"]]])


def _table_repurchase(figures):
    r = figures["repurchase"]
    return ([_("Buyers in 90 days"), _("Of them, ordered twice or more"), _("Repurchase rate (%)")],
            [[r["buyers"], r["repeat_buyers"], r["percent"]]])


def _table_sources(figures):
    s = figures["sources"]
    return ([_("Invited by"), _("Members joined")],
            [[row["name"], row["joined"]] for row in s["inviters"]] + [[_("No inviter"), s["no_inviter"]]])


def _table_branches(figures):
    if figures["branches"] is None:
        return None
    return ([_("Branch"), _("Members"), _("Joined"), _("Left"), _("Orders paid"), _("GMV"), _("Orders picked up")],
            [[row["name"], row["members"], row["joined"], row["left"], row["orders_paid"], row["gmv"],
              row["orders_completed"]] for row in figures["branches"]])


TABLES = {"headline": _table_headline, "sales": _table_sales, "members": _table_members,
          "products": _table_products, "rounds": _table_rounds, "repurchase": _table_repurchase,
          "sources": _table_sources, "branches": _table_branches}


@require_safe
@console_page(Perm.VIEW_ANALYTICS)
def dashboard(request, community, membership):
    return render_page(request, community, membership, tab="overview", template="analytics/dashboard.html",
                       figures=_figures, tables=TABLES, charts=_chart_data)
