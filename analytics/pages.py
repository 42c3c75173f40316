"""What every page of the analytics dashboard shares: the tabs, the period picker (and for owners and
admins the branch), the leader's scope, and the CSV of each table.

A page is a view that hands ``render_page`` its figures function, its tables and its template:

    figures(community, period, branch, everyone=...) -> dict     # read through the selectors
    tables = {"name": lambda figures: (header, rows)}             # ?format=csv&table=name
    charts(community, figures) -> dict                            # what static/js/analytics.js draws

The template extends ``analytics/base.html`` and fills its ``sections`` block. Charts are described,
not programmed: ``{"charts": {"name": {"kind": "bars" | "hbars" | "line" | "pie", "labels": [...],
"series": [{"name": ..., "values": [...], "money": bool, "axis": 0 | 1}]}}}`` is drawn into
``<div class="chart" data-chart="name">``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics import selectors
from analytics.forms import PeriodForm
from analytics.replica import reading_replica
from communities.models import Community
from communities.pages import console_context
from communities.permissions import acts_community_wide
from core.exceptions import NotFound, ValidationFailed
from orders.exports import csv_response


@dataclass(frozen=True)
class Tab:
    name: str
    label: str
    url_name: str
    everyone_only: bool = False  # owners and admins only (a leader does not see it)


TABS = (
    Tab("overview", gettext_lazy("Overview"), "analytics_console:dashboard"),
    Tab("funnel", gettext_lazy("Funnel and cohorts"), "analytics_console:funnel"),
    Tab("engagement", gettext_lazy("Engagement"), "analytics_console:engagement"),
    Tab("crowdfunding", gettext_lazy("Crowdfunding"), "analytics_console:crowdfunding"),
    Tab("prompts", gettext_lazy("Repurchase prompts"), "analytics_console:prompts"),
    Tab("leaders", gettext_lazy("Leaders"), "analytics_console:leaders"),
)


def percent(ratio) -> Decimal | None:
    """0.123 → 12.3 (one decimal), None stays None (nothing to divide by)."""
    return None if ratio is None else (Decimal(ratio) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def headline_cards(names, labels: dict, totals: dict, previous: dict, changes: dict, *, money=(), rates=(),
                   rise_is_bad=(), neutral=(), prefix: str = "") -> list[dict]:
    """The headline tiles of a page (``templates/analytics/_card.html``): each figure of the period,
    the period before, and the change as ▲/▼ coloured good or bad (a rise in ``rise_is_bad`` is bad
    news; ``neutral`` ones are neither)."""
    cards = []
    for name in names:
        change = changes.get(name)
        direction = "" if change is None else "up" if change > 0 else "down" if change < 0 else "flat"
        good = None if direction in ("", "flat") or name in neutral else (direction == "up") != (name in rise_is_bad)
        cards.append({"name": prefix + name, "label": labels[name], "value": totals[name], "before": previous[name],
                      "change": change, "change_abs": abs(change) if change is not None else None,
                      "direction": direction, "good": good, "money": name in money, "rate": name in rates})
    return cards


def _tabs(community: Community, everyone: bool, current: str, query: str) -> list[dict]:
    tabs = []
    for tab in TABS:
        if tab.everyone_only and not everyone:
            continue
        try:
            url = reverse(tab.url_name, args=[community.slug])
        except NoReverseMatch:  # a page not installed
            continue
        tabs.append({"name": tab.name, "label": tab.label, "url": f"{url}?{query}" if query else url,
                     "current": tab.name == current})
    return tabs


def _invalid(form) -> ValidationFailed:
    """The picker's errors as a domain error (a CSV asked with a bad period gets the error page, 400)."""
    errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
    return ValidationFailed(next(iter(errors.values()))[0], code="invalid_period", fields=errors)


def render_page(request, community: Community, membership, *, tab: str, template: str,
                figures: Callable, tables: dict[str, Callable], charts: Callable | None = None):
    """One analytics page for the period the request picks (400 with the form's errors when it is
    bad), as HTML or, with ``?format=csv&table=<name>``, one of its tables as CSV."""
    everyone = acts_community_wide(membership)
    leader_branch = None if everyone else selectors.scope_branch(membership, None)
    branches = list(Community.objects.filter(parent=community).order_by("name")) if everyone else []
    form = PeriodForm(request.GET, community=community, branches=branches)
    wants_csv = request.GET.get("format") == "csv"
    query = request.GET.copy()
    for name in ("format", "table"):
        query.pop(name, None)
    query = query.urlencode()
    common = dict(form=form, leader_branch=leader_branch, everyone=everyone, tab=tab,
                  tabs=_tabs(community, everyone, tab, query if form.is_valid() else ""))
    if not form.is_valid():
        if wants_csv:
            raise _invalid(form)
        return render(request, template, console_context(community, membership, "analytics", figures=None,
                                                         **common), status=400)
    period = form.cleaned_data["span"]
    branch = selectors.scope_branch(membership, form.cleaned_data.get("branch_obj"))
    with reading_replica():  # the report reads the replica when one is configured (analytics/replica.py)
        data = figures(community, period, branch, everyone=everyone)
    if wants_csv:
        table = str(request.GET.get("table") or "")[:20]
        if table not in tables:
            raise NotFound(_("There is no such table."), code="no_such_table")
        made = tables[table](data)
        if made is None:  # a table this caller does not see (e.g. branches, for a leader)
            raise NotFound(_("There is no such table."), code="no_such_table")
        header, rows = made
        scope = f"-{branch.slug}" if branch is not None else ""
        return csv_response(f"analytics-{table}-{community.slug}{scope}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv",
                            header, rows)
    chart_data = charts(community, data) if charts is not None else {}
    chart_data.setdefault("currency", community.currency)
    chart_data.setdefault("locale", get_language() or "zh-hans")
    return render(request, template, console_context(
        community, membership, "analytics", figures=data, period=period, branch=branch, query=query,
        data=chart_data, **common))
