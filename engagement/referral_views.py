"""Member page of referrals (邀请有礼): my invite link and its QR code to share, the rule in words
(points, the coupon, the refund window, the weekly limit), and each person I invited with where
their referral stands. Shared as a link or a QR, the invite is the communities app's own."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse

from communities.pages import community_page
from communities.permissions import Perm
from core.inputs import parse_int
from engagement import referrals as services

PAGE_SIZE = 30


def referral_rows(page_rows) -> list:
    """Each referral with what the member reads of it: the reward, or why none, or what it waits for."""
    rows = list(page_rows)
    coupons = services.coupons_named(rows)
    for row in rows:
        row.coupon = services.reward_coupon(row, coupons)
        row.why_not = services.outcome_text(row)
    return rows


@community_page(Perm.VIEW)
def my_referrals(request, community, membership):
    invite = services.my_invite(membership)
    url = request.build_absolute_uri(invite.get_absolute_url()) if invite else ""
    qr_url = reverse("communities:invite_qr", kwargs={"code": invite.code}) if invite else ""
    page = Paginator(services.my_referrals(membership), PAGE_SIZE).get_page(
        parse_int(request.GET.get("page") or "1", minimum=1) or 1)
    return render(request, "engagement/referrals/mine.html", {
        "community": community, "membership": membership, "invite": invite, "url": url, "qr_url": qr_url,
        "share": {"url": url, "title": community.name, "poster_url": qr_url},
        "rules": services.rules_of(community), "summary": services.my_summary(membership),
        "page": page, "rows": referral_rows(page.object_list),
    })
