"""Member page of points (积分): balance, lifetime points, the streak, the 签到 button and the
ledger, 30 lines a page. The check-in goes through engagement.points; a second tap the same day
(409 checked_in_today) becomes a friendly message, never an error page."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from communities.models import Membership
from communities.pages import community_page
from communities.permissions import Perm
from core.exceptions import Conflict
from engagement import levels
from engagement import point_selectors as selectors
from engagement import points as services
from engagement.models import PointsTotal
from engagement.points_shop_views import offers_context

PAGE_SIZE = 30
PERIODS = {"week": PointsTotal.Period.WEEK.label, "month": PointsTotal.Period.MONTH.label,
           "all": PointsTotal.Period.ALL.label}


def _url(community, name="points") -> str:
    return reverse(f"engagement:{name}", kwargs={"slug": community.slug})


@community_page(Perm.VIEW)
def points_page(request, community, membership):
    state = selectors.summary(membership)
    page = Paginator(selectors.ledger(membership), PAGE_SIZE).get_page(request.GET.get("page"))
    level, following = levels.level_for(state["lifetime"], levels.levels_of(community))
    return render(request, "engagement/points/points.html", {
        "community": community, "membership": membership, "state": state, "page": page,
        "earned_today": selectors.earned_on(membership, state["today"]) if state["today"] else 0,
        "level": level, "next_level": following,
        "to_next": following.min_points - state["lifetime"] if following else 0,
        "badges": levels.badges_of(membership),
        **offers_context(membership),
    })


@require_POST
@community_page(Perm.VIEW)
def points_check_in(request, community, membership):
    try:
        check_in, earned = services.daily_check_in(membership=membership)
    except Conflict as error:
        if error.code != "checked_in_today":
            raise
        messages.info(request, _("You have checked in today already. Come back tomorrow!"))
    else:
        messages.success(request, ngettext(
            "Checked in! +%(points)s point · %(days)s days in a row",
            "Checked in! +%(points)s points · %(days)s days in a row", earned) % {
            "points": earned, "days": check_in.streak})
    return redirect(_url(community))


def points_home_section(membership: Membership) -> dict:
    """The home page's 我的积分 card: {"my_points": {balance, streak, checked_in_today, url}}."""
    state = selectors.summary(membership)
    return {"my_points": {"balance": state["balance"], "lifetime": state["lifetime"], "streak": state["streak"],
                          "checked_in_today": state["checked_in_today"], "url": _url(membership.community)}}


@community_page(Perm.VIEW)
def leaderboard(request, community, membership):
    """排行榜: the top 20 for the week, the month or all time, in the whole community or in the
    member's branch (so each 团长's group competes). Read from the totals: one query."""
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else "week"
    in_branch = request.GET.get("scope") == "branch" and membership.branch_id is not None
    rows = services.leaderboard(community, period=period, branch=membership.branch if in_branch else None)
    return render(request, "engagement/points/leaderboard.html", {
        "community": community, "membership": membership, "rows": rows, "period": period,
        "in_branch": in_branch, "periods": PERIODS.items(),
    })
