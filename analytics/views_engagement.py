"""The analytics dashboard's engagement page: for the period against the period before, events
(attendance, no-shows), posts (reach and the orders they led to), daily check-ins, points issued
and spent, coupons (what they cost) and referrals. Each section has its table and a CSV
(``?format=csv&table=<name>``); scope and meaning of each figure in analytics/selectors_engagement.py.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from analytics import selectors_engagement as sel
from analytics.pages import headline_cards, percent, render_page
from communities.models import Community
from communities.pages import console_page
from communities.permissions import Perm

MONEY = {"gmv", "discount"}
RATES = {"attendance_rate"}
RISE_IS_BAD = {"no_shows", "discount"}


def _labels() -> dict:
    return {
        "events": _("Events held"), "seats_taken": _("Seats taken"), "attended": _("Attended"),
        "no_shows": _("No-shows"), "attendance_rate": _("Attendance rate"),
        "posts": _("Posts published"), "reach": _("Members reached"), "likes": _("Likes"), "comments": _("Comments"),
        "orders": _("Orders led to"), "gmv": _("GMV of those orders"),
        "check_ins": _("Check-ins"), "members": _("Members who checked in"), "longest_streak": _("Longest streak"),
        "issued": _("Points issued"), "spent": _("Points spent"),
        "uses": _("Coupon uses"), "discount": _("Discount given"),
        "joined": _("Invitees joined"), "ordered": _("Invitees who ordered"), "rewarded": _("Referrals rewarded"),
        "points": _("Points given"), "coupons": _("Coupons given"),
    }


def _cards(figures: dict, section: str, names) -> list[dict]:
    # Rates are shown in percent (their change stays relative, in percent of the rate before).
    shown = {which: {name: percent(value) if name in RATES else value for name, value in figures[which].items()}
             for which in ("totals", "previous_totals")}
    return headline_cards(names, _labels(), shown["totals"], shown["previous_totals"], figures["changes"],
                          money=MONEY, rates=RATES, rise_is_bad=RISE_IS_BAD, prefix=f"{section}.")


def _figures(community: Community, period, branch: Community | None, *, everyone: bool) -> dict:
    events = sel.events(community, period, branch=branch)
    for row in events["events"]:
        row["attendance_percent"] = percent(row["attendance_rate"])
    posts = sel.posts(community, period, branch=branch)
    check_ins = sel.check_ins(community, period, branch=branch)
    points = sel.points(community, period, branch=branch)
    coupons = sel.coupons(community, period, branch=branch)
    referrals = sel.referrals(community, period, branch=branch)
    return {
        "events": events, "posts": posts, "check_ins": check_ins, "points": points, "coupons": coupons,
        "referrals": referrals,
        "cards": {"events": _cards(events, "events", sel.EVENT_FIGURES),
                  "posts": _cards(posts, "posts", sel.POST_FIGURES),
                  "check_ins": _cards(check_ins, "check_ins", sel.CHECK_IN_FIGURES),
                  "points": _cards(points, "points", sel.POINT_FIGURES),
                  "coupons": _cards(coupons, "coupons", sel.COUPON_FIGURES),
                  "referrals": _cards(referrals, "referrals", sel.REFERRAL_FIGURES)},
    }


def _charts(community: Community, figures: dict) -> dict:
    series = figures["check_ins"]["series"]
    reasons = figures["points"]["reasons"]
    charts = {
        "check_ins": {"kind": "bars", "labels": [row["day"].isoformat() for row in series],
                      "series": [{"name": _("Check-ins"), "values": [row["check_ins"] for row in series],
                                  "money": False, "axis": 0}]},
        "points": {"kind": "hbars", "labels": [row["label"] for row in reasons],
                   "series": [{"name": _("Points issued"), "values": [r["issued"] for r in reasons],
                               "money": False, "axis": 0},
                              {"name": _("Points spent"), "values": [r["spent"] for r in reasons],
                               "money": False, "axis": 0}]},
    }
    events = list(reversed(figures["events"]["events"]))
    if events:
        charts["events"] = {"kind": "bars", "labels": [row["title"] for row in events], "series": [
            {"name": _("Seats taken"), "values": [row["seats_taken"] for row in events], "money": False, "axis": 0},
            {"name": _("Attended"), "values": [row["attended"] for row in events], "money": False, "axis": 0}]}
    coupons = figures["coupons"]["coupons"]
    if coupons:
        charts["coupons"] = {"kind": "hbars", "labels": [row["name"] or row["code"] for row in coupons],
                             "values_on_bars": True, "series": [
                                 {"name": _("Discount given"), "values": [str(r["discount"]) for r in coupons],
                                  "money": True, "axis": 0}]}
    return {"charts": charts}


def _headline_rows(figures) -> list:
    return [[_("Attendance rate (%)") if card["rate"] else card["label"], card["value"], card["before"], card["change"]]
            for section in ("events", "posts", "check_ins", "points", "coupons", "referrals")
            for card in figures["cards"][section]]


def _table_headline(figures):
    return [_("Figure"), _("This period"), _("Period before"), _("Change (%)")], _headline_rows(figures)


def _table_events(figures):
    return ([_("Event"), _("Starts"), _("Seats taken"), _("Attended"), _("No-shows"), _("Attendance rate (%)")],
            [[row["title"], row["starts_at"].isoformat(), row["seats_taken"], row["attended"], row["no_shows"],
              row["attendance_percent"]] for row in figures["events"]["events"]])


def _table_posts(figures):
    return ([_("Post"), _("Published"), _("Members reached"), _("Likes"), _("Comments"), _("Orders led to"),
             _("GMV of those orders")],
            [[row["title"], row["published_at"].isoformat(), row["reach"], row["likes"], row["comments"],
              row["orders"], row["gmv"]] for row in figures["posts"]["posts"]])


def _table_check_ins(figures):
    return [_("Day"), _("Check-ins")], [[row["day"].isoformat(), row["check_ins"]]
                                        for row in figures["check_ins"]["series"]]


def _table_points(figures):
    return ([_("Reason"), _("Points issued"), _("Points spent"), _("Ledger lines")],
            [[row["label"], row["issued"], row["spent"], row["entries"]] for row in figures["points"]["reasons"]])


def _table_coupons(figures):
    return ([_("Coupon"), _("Code"), _("Coupon uses"), _("Discount given"), _("GMV of those orders")],
            [[row["name"], row["code"], row["uses"], row["discount"], row["gmv"]]
             for row in figures["coupons"]["coupons"]])


def _table_referrers(figures):
    return ([_("Referrer"), _("Invitees joined"), _("Invitees who ordered"), _("Referrals rewarded"),
             _("Points given"), _("Coupons given")],
            [[row["name"], row["joined"], row["ordered"], row["rewarded"], row["points"], row["coupons"]]
             for row in figures["referrals"]["referrers"]])


TABLES = {"headline": _table_headline, "events": _table_events, "posts": _table_posts,
          "check_ins": _table_check_ins, "points": _table_points, "coupons": _table_coupons,
          "referrers": _table_referrers}


@require_safe
@console_page(Perm.VIEW_ANALYTICS)
def engagement(request, community, membership):
    return render_page(request, community, membership, tab="engagement", template="analytics/engagement.html",
                       figures=_figures, tables=TABLES, charts=_charts)
