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

from decimal import ROUND_HALF_UP, Decimal

from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from analytics import selectors, selectors_more
from analytics.forms import PeriodForm
from analytics.replica import reading_replica
from communities.models import Community
from communities.pages import console_context, console_page
from communities.permissions import Perm, acts_community_wide
from core.exceptions import NotFound, ValidationFailed
from orders.exports import csv_response

WEEKLY_AFTER_DAYS = 60
TABLES = ("headline", "sales", "members", "products", "rounds", "branches")
HEADLINE = ("gmv", "orders_paid", "buyers", "average_order_value", "refunds", "members_joined")
MONEY_FIGURES = {"gmv", "average_order_value", "refunds"}
# A rise is bad news for these (shown in red).
RISE_IS_BAD = {"refunds"}


def _headline_labels() -> dict:
    return {"gmv": _("GMV"), "orders_paid": _("Orders paid"), "buyers": _("Buyers"),
            "average_order_value": _("Average order value"), "refunds": _("Refunds"),
            "members_joined": _("Members joined")}


def _percent(ratio) -> Decimal | None:
    return None if ratio is None else (Decimal(ratio) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _cards(overview: dict) -> list[dict]:
    labels = _headline_labels()
    cards = []
    for name in HEADLINE:
        change = overview["changes"].get(name)
        if change is None:
            direction = ""
        else:
            direction = "up" if change > 0 else "down" if change < 0 else "flat"
        good = None if direction in ("", "flat") else (direction == "up") != (name in RISE_IS_BAD)
        cards.append({"name": name, "label": labels[name], "value": overview["totals"][name],
                      "before": overview["previous_totals"][name], "change": change,
                      "change_abs": abs(change) if change is not None else None,
                      "direction": direction, "good": good, "money": name in MONEY_FIGURES})
    return cards


@reading_replica()  # the report reads the replica when one is configured (analytics/replica.py)
def _figures(community: Community, period, branch: Community | None, *, everyone: bool) -> dict:
    overview = selectors.overview(community, period, branch=branch)
    weekly = period.days > WEEKLY_AFTER_DAYS
    members = selectors.members(community, branch=branch)
    members["conversion_percent"] = _percent(members["conversion_30d"])
    rounds = selectors.rounds(community, period, branch=branch)
    rounds["success_percent"] = _percent(rounds["success_rate"])
    repurchase = selectors_more.repurchase(community, branch=branch)
    repurchase["percent"] = _percent(repurchase["rate"])
    return {
        "overview": overview, "cards": _cards(overview), "weekly": weekly,
        "sales": overview["weekly"] if weekly else overview["series"],
        "members": members, "products": selectors.top_products(community, period, branch=branch),
        "rounds": rounds, "branches": selectors.by_branch(community, period) if everyone and branch is None else None,
        "repurchase": repurchase, "sources": selectors_more.sources(community, period, branch=branch),
    }


def _chart_data(community: Community, figures: dict) -> dict:
    """What static/js/analytics.js draws (Decimals as strings, dates as ISO)."""
    key = "week" if figures["weekly"] else "day"
    sales = figures["sales"]
    members = figures["members"]
    data = {
        "currency": community.currency, "locale": get_language() or "zh-hans",
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


def _csv(community: Community, table: str, figures: dict, period, branch: Community | None):
    """One of the page's tables as CSV (the figures the page shows, not rounded further)."""
    key = "week" if figures["weekly"] else "day"
    if table == "headline":
        header = [_("Figure"), _("This period"), _("Period before"), _("Change (%)")]
        rows = [[card["label"], card["value"], card["before"], card["change"]] for card in figures["cards"]]
    elif table == "sales":
        header = [_("Week from") if key == "week" else _("Day"), _("Orders paid"), _("GMV"), _("Refunds"),
                  _("Members joined"), _("Orders picked up")]
        rows = [[row[key].isoformat(), row["orders_paid"], row["gmv"], row["refunds"], row["members_joined"],
                 row["orders_completed"]] for row in figures["sales"]]
    elif table == "members":
        members = figures["members"]
        header = [_("Figure"), _("Value")]
        rows = [[_("Members now"), members["members"]], [_("Ordered in 30 days"), members["ordered_30d"]],
                [_("Ordered in 7 days"), members["ordered_7d"]],
                [_("Conversion in 30 days (%)"), members["conversion_percent"]]]
    elif table == "products":
        header = [_("Product"), _("Quantity"), _("Orders"), _("Sales")]
        rows = [[row["product__name"], row["quantity"], row["orders"], row["amount"]] for row in figures["products"]]
    elif table == "rounds":
        r = figures["rounds"]
        header = [_("Rounds settled"), _("Reached their goal"), _("Failed"), _("Success rate (%)")]
        rows = [[r["settled"], r["succeeded"], r["failed"], r["success_percent"]]]
    elif table == "repurchase":
        r = figures["repurchase"]
        header = [_("Buyers in 90 days"), _("Of them, ordered twice or more"), _("Repurchase rate (%)")]
        rows = [[r["buyers"], r["repeat_buyers"], r["percent"]]]
    elif table == "sources":
        s = figures["sources"]
        header = [_("Invited by"), _("Members joined")]
        rows = [[row["name"], row["joined"]] for row in s["inviters"]] + [[_("No inviter"), s["no_inviter"]]]
    elif table == "branches" and figures["branches"] is not None:
        header = [_("Branch"), _("Members"), _("Joined"), _("Orders paid"), _("GMV"), _("Orders picked up")]
        rows = [[row["name"], row["members"], row["joined"], row["orders_paid"], row["gmv"], row["orders_completed"]]
                for row in figures["branches"]]
    else:
        raise NotFound(_("There is no such table."), code="no_such_table")
    scope = f"-{branch.slug}" if branch is not None else ""
    return csv_response(f"analytics-{table}-{community.slug}{scope}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv",
                        header, rows)


def _invalid(form) -> ValidationFailed:
    """The picker's errors as a domain error (a CSV asked with a bad period gets the error page, 400)."""
    errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
    return ValidationFailed(next(iter(errors.values()))[0], code="invalid_period", fields=errors)


@require_safe
@console_page(Perm.VIEW_ANALYTICS)
def dashboard(request, community, membership):
    everyone = acts_community_wide(membership)
    leader_branch = None if everyone else selectors.scope_branch(membership, None)
    branches = list(Community.objects.filter(parent=community).order_by("name")) if everyone else []
    form = PeriodForm(request.GET, community=community, branches=branches)
    wants_csv = request.GET.get("format") == "csv"
    if not form.is_valid():
        if wants_csv:
            raise _invalid(form)
        return render(request, "analytics/dashboard.html", console_context(
            community, membership, "analytics", form=form, figures=None, leader_branch=leader_branch,
            everyone=everyone), status=400)
    period = form.cleaned_data["span"]
    branch = selectors.scope_branch(membership, form.cleaned_data.get("branch_obj"))
    figures = _figures(community, period, branch, everyone=everyone)
    if wants_csv:
        return _csv(community, str(request.GET.get("table") or "")[:20], figures, period, branch)
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    return render(request, "analytics/dashboard.html", console_context(
        community, membership, "analytics", form=form, figures=figures, period=period, branch=branch,
        leader_branch=leader_branch, everyone=everyone, query=query.urlencode(),
        data=_chart_data(community, figures)))
