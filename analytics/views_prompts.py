"""The analytics page "Repurchase prompts" (复购提醒): for the prompts due in the period, the members
prompted against the members held out (the holdout, 对照组, set on the engagement settings page), how
many of each ordered the product within 7 days and the GMV of those orders, the lift (what the
prompts add), by day and by product. Owners and admins read the community or a branch; a leader the
members of their branch. Three queries for the figures, whatever the number of prompts.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from analytics import selectors_prompts as sp
from analytics.pages import headline_cards, render_page
from communities.models import Community
from communities.pages import console_page
from communities.permissions import Perm, has_perm
from engagement.repurchase import CONVERSION_WINDOW

MONEY = {"gmv"}
RATES = sp.RATES


def _labels() -> dict:
    return {"prompts": _("Prompts sent"), "opened": _("Opened"), "converted": _("Ordered within 7 days"),
            "conversion": _("Conversion (%)"), "gmv": _("GMV of those orders"), "held_out": _("Held out"),
            "held_out_converted": _("Held out, ordered within 7 days"),
            "held_out_conversion": _("Holdout conversion (%)"), "lift": _("Lift (percentage points)")}


def _cards(summary: dict) -> list[dict]:
    # The holdout's figures are neither good nor bad news.
    return headline_cards(sp.HEADLINE, _labels(), summary["totals"], summary["previous_totals"], summary["changes"],
                          money=MONEY, rates=RATES, neutral={n for n in sp.HEADLINE if n.startswith("held_out")})


def figures(community: Community, period, branch: Community | None, *, everyone: bool) -> dict:
    summary = sp.summary(community, period, branch=branch)
    return {"summary": summary, "cards": _cards(summary), "daily": sp.daily(community, period, branch=branch),
            "products": sp.products(community, period, branch=branch),
            "window_days": CONVERSION_WINDOW.days}


def _chart_data(community: Community, figures: dict) -> dict:
    days = figures["daily"]
    products = figures["products"]
    return {"charts": {
        "daily": {"kind": "bars", "labels": [row["day"].isoformat() for row in days], "series": [
            {"name": _("Prompts sent"), "values": [row["sent"] for row in days]},
            {"name": _("Ordered within 7 days"), "values": [row["converted"] for row in days]},
            {"name": _("Held out"), "values": [row["held_out"] for row in days]},
            {"name": _("Held out, ordered within 7 days"), "values": [row["held_out_converted"] for row in days]},
        ]},
        "products": {"kind": "hbars", "labels": [row["name"] for row in products], "values_on_bars": True,
                     "series": [{"name": _("Conversion (%)"),
                                 "values": [str(row["conversion"] or 0) for row in products]},
                                {"name": _("Holdout conversion (%)"),
                                 "values": [str(row["held_out_conversion"] or 0) for row in products]}]},
    }}


def _table_headline(figures):
    return ([_("Figure"), _("This period"), _("Period before"), _("Change")],
            [[card["label"], card["value"], card["before"], card["change"]] for card in figures["cards"]])


def _table_groups(figures):
    groups = figures["summary"]["groups"]
    names = {"prompted": _("Prompted"), "holdout": _("Held out (not prompted)")}
    return ([_("Group"), _("Prompts"), _("Members"), _("Opened"), _("Ordered within 7 days"), _("Conversion (%)"),
             _("GMV of those orders")],
            [[names[key], g["prompts"], g["members"], g["opened"] if key == "prompted" else "", g["converted"],
              g["conversion"], g["gmv"]] for key, g in groups.items()])


def _table_daily(figures):
    return ([_("Day"), _("Prompts sent"), _("Ordered within 7 days"), _("Held out"),
             _("Held out, ordered within 7 days")],
            [[row["day"].isoformat(), row["sent"], row["converted"], row["held_out"], row["held_out_converted"]]
             for row in figures["daily"]])


def _table_products(figures):
    return ([_("Product"), _("Prompts sent"), _("Opened"), _("Ordered within 7 days"), _("Conversion (%)"),
             _("Held out"), _("Held out, ordered within 7 days"), _("Holdout conversion (%)")],
            [[row["name"], row["sent"], row["opened"], row["converted"], row["conversion"], row["held_out"],
              row["held_out_converted"], row["held_out_conversion"]] for row in figures["products"]])


TABLES = {"headline": _table_headline, "groups": _table_groups, "daily": _table_daily, "products": _table_products}


@require_safe
@console_page(Perm.VIEW_ANALYTICS)
def prompts(request, community, membership):
    settings_url = None
    if has_perm(membership, Perm.MANAGE_SETTINGS):
        settings_url = reverse("engagement_console:engagement_settings", kwargs={"slug": community.slug})
    return render_page(request, community, membership, tab="prompts", template="analytics/prompts.html",
                       figures=lambda *args, **kwargs: {**figures(*args, **kwargs), "settings_url": settings_url},
                       tables=TABLES, charts=_chart_data)
