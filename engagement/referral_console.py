"""Console page (desktop) for referrals: the numbers (invited, ordered, rewarded, points given) and
the top referrers; the referrals held as suspicious first, with their reasons and the approve /
reject buttons (POST, confirmed); then every referral, filtered by status, 50 a page.
Admins only (MANAGE_LOYALTY): a leader gets 403, another community's referral is a 404."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from communities import pages
from communities.permissions import Perm
from core.exceptions import DomainError
from core.inputs import parse_int
from engagement import referrals as services
from engagement.models import Referral
from engagement.referral_views import referral_rows

PAGE_SIZE = 50
HELD_SHOWN = 50


console_page = pages.console_page(Perm.MANAGE_LOYALTY)  # admins, in the community's timezone
_ctx = functools.partial(pages.console_context, section="referrals")


def _with_reasons(rows):
    rows = referral_rows(rows)
    for row in rows:
        row.reasons = services.held_reasons(row)
    return rows


@require_safe
@console_page
def referrals(request, community, membership):
    status = request.GET.get("status", "")
    status = status if status in Referral.Status.values else ""
    qs = services.referrals_for_console(community)
    held = _with_reasons(qs.filter(status=Referral.Status.HELD).order_by("joined_at", "pk")[:HELD_SHOWN])
    listed = qs.filter(status=status) if status else qs
    page = Paginator(listed.order_by("-joined_at", "-pk"), PAGE_SIZE).get_page(
        parse_int(request.GET.get("page") or "1", minimum=1) or 1)
    return render(request, "engagement/referrals/console/referrals.html", _ctx(
        community, membership, held=held, numbers=services.console_numbers(community),
        top=services.top_referrers(community), page=page, rows=_with_reasons(page.object_list),
        filters={"status": status}, statuses=Referral.Status.choices, rules=services.rules_of(community)))


def _back(request, community) -> str:
    url = reverse("engagement_console:referrals", kwargs={"slug": community.slug})
    status = request.POST.get("status", "")
    return f"{url}?status={status}" if status in Referral.Status.values else url


@require_POST
@console_page
def referral_approve(request, community, membership, pk):
    referral = get_object_or_404(Referral.objects.filter(community_id=community.pk), pk=pk)
    try:
        referral = services.referral_approve(actor=membership, referral=referral)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        name = referral.invitee.display_name
        if referral.status == Referral.Status.REWARDED:
            messages.success(request, _("Approved: the reward for inviting %(name)s was paid.") % {"name": name})
        elif referral.status == Referral.Status.REJECTED:
            messages.warning(request, _("Approved, but no reward: %(why)s.") % {"why": services.outcome_text(referral)})
        else:
            messages.success(request, _("Approved: the reward for inviting %(name)s will be paid when it falls due.")
                             % {"name": name})
    return redirect(_back(request, community))


@require_POST
@console_page
def referral_reject(request, community, membership, pk):
    referral = get_object_or_404(Referral.objects.filter(community_id=community.pk), pk=pk)
    try:
        services.referral_reject(actor=membership, referral=referral, note=request.POST.get("note", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Refused: no reward for this referral."))
    return redirect(_back(request, community))
