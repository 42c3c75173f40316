"""The "Funnel and cohorts" page of the analytics dashboard: the 接龙 funnel of the rounds that
closed in the period (saw → ordered → paid → picked up, in all and for the top rounds by orders),
and the cohorts by first-order month as the nightly refresh stored them. Each table has its CSV
(``?format=csv&table=<name>``); a leader sees their own branch only (analytics.pages)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from analytics import selectors_funnel
from analytics.pages import percent, render_page
from communities.models import Community
from communities.pages import console_page
from communities.permissions import Perm


def stage_labels() -> dict:
    return {"saw": _("Saw the round"), "ordered": _("Ordered"), "paid": _("Paid"),
            "completed": _("Picked up or delivered")}


def shade(rate) -> str:
    """The background of a cohort cell: the darker, the larger the share of the cohort."""
    if rate is None:
        return ""
    alpha = min(float(rate), 1.0) * 0.75 + 0.05
    return f"background: rgba(37, 99, 235, {alpha:.2f});" + (" color: #fff;" if alpha > 0.45 else "")


def _figures(community: Community, period, branch: Community | None, *, everyone: bool) -> dict:
    funnel = selectors_funnel.funnel(community, period, branch=branch)
    labels = stage_labels()
    for stage in funnel["stages"]:
        stage["label"] = labels[stage["stage"]]
        stage["from_previous_percent"] = percent(stage["from_previous"])
        stage["from_first_percent"] = percent(stage["from_first"])
    for row in funnel["rounds"]:
        row["paid_percent"] = percent(row["paid_rate"])
    cohorts = selectors_funnel.cohort_table(community, branch=branch)
    width = len(cohorts["cohorts"]) - 1
    for row in cohorts["cohorts"]:
        cells = [{"members": c["members"], "percent": percent(c["rate"]), "style": shade(c["rate"])}
                 for c in row["later"]]
        row["cells"] = cells + [None] * (width - len(cells))
    return {"funnel": funnel, "cohorts": cohorts, "offsets": list(range(1, width + 1))}


def _chart_data(community: Community, figures: dict) -> dict:
    stages = figures["funnel"]["stages"]
    return {"charts": {"funnel": {
        "kind": "hbars", "labels": [stage["label"] for stage in stages], "values_on_bars": True,
        "series": [{"name": _("Members × rounds"), "values": [stage["pairs"] for stage in stages], "money": False,
                    "axis": 0}]}}}


def _table_funnel(figures):
    return ([_("Stage"), _("Members × rounds"), _("From the stage before (%)"), _("From those who saw (%)")],
            [[s["label"], s["pairs"], s["from_previous_percent"], s["from_first_percent"]]
             for s in figures["funnel"]["stages"]])


def _table_rounds(figures):
    return ([_("Round"), _("Closed"), _("Orders"), _("Saw"), _("Ordered"), _("Paid"), _("Picked up or delivered"),
             _("Ordered without a recorded view")],
            [[r["title"], r["closes_on"].isoformat(), r["orders"], r["saw"], r["ordered"], r["paid"],
              r["completed"], r["ordered_unseen"]] for r in figures["funnel"]["rounds"]])


def _table_cohorts(figures):
    header = [_("First order in"), _("Members")]
    for k in figures["offsets"]:
        header += [ngettext("%(n)d month later", "%(n)d months later", k) % {"n": k},
                   ngettext("%(n)d month later (%%)", "%(n)d months later (%%)", k) % {"n": k}]
    rows = []
    for row in figures["cohorts"]["cohorts"]:
        line = [row["month"].strftime("%Y-%m"), row["members"]]
        for cell in row["cells"]:
            line += ["", ""] if cell is None else [cell["members"], cell["percent"]]
        rows.append(line)
    return header, rows


TABLES = {"funnel": _table_funnel, "rounds": _table_rounds, "cohorts": _table_cohorts}


@require_safe
@console_page(Perm.VIEW_ANALYTICS)
def funnel(request, community, membership):
    return render_page(request, community, membership, tab="funnel", template="analytics/funnel.html",
                       figures=_figures, tables=TABLES, charts=_chart_data)
