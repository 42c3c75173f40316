"""Console page of repurchase prompts (定时复购提醒): how many went out over the last 30 days (per
day), how many members opened them, how many orders followed within 7 days (the conversion rate),
and the recent prompts, 50 a page. Admins (MANAGE_LOYALTY); the community's rules for prompts
are on the engagement settings page. A fixed number of queries whatever the number of prompts."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from communities.pages import community_page
from communities.permissions import Perm, has_perm
from core.inputs import parse_int
from engagement import repurchase as services
from engagement.common import engagement_settings

PAGE_SIZE = 50


@community_page(Perm.MANAGE_LOYALTY)
def repurchase(request, community, membership):
    with timezone.override(community.timezone):
        stats = services.summary(community)
        page = Paginator(services.prompts_for_console(community), PAGE_SIZE).get_page(
            parse_int(request.GET.get("page") or "1", minimum=1) or 1)
        peak = max([day["sent"] for day in stats["per_day"]] + [1])
        for day in stats["per_day"]:
            day["width"] = round(100 * day["sent"] / peak)
        perms = {perm.value: has_perm(membership, perm) for perm in Perm}
        return render(request, "engagement/repurchase/console/repurchase.html", {
            "community": community, "membership": membership, "console_perms": perms, "section": "repurchase",
            "stats": stats, "page": page, "filters": {}, "rules": engagement_settings(community),
            "window_days": services.CONVERSION_WINDOW.days,
        })
