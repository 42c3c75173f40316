"""Member pages (mobile web) for campaigns: the list, a campaign with its tiers and the backing
form, a pledge (pay, cancel, the reward's pickup code), my pledges."""

import io
import uuid
from decimal import Decimal

import qrcode
from django.contrib import messages
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities.pages import community_page
from communities.permissions import Perm
from core.exceptions import DomainError
from core.forms import add_domain_error
from crowdfunding import selectors, services
from crowdfunding.forms import NO_REWARD, PledgeForm, TransferForm
from crowdfunding.models import Campaign, Pledge, RewardTier
from payments.models import Payment, Refund

RECENT_BACKERS = 20
RECENT_UPDATES = 20


def _with_shown_totals(campaigns: list[Campaign]) -> list[Campaign]:
    """Totals and percent for each campaign; a failed one keeps the figure of its deadline (its
    pledges were refunded since, so counting them now would show nothing raised)."""
    selectors.with_totals(campaigns)
    for campaign in campaigns:
        if campaign.status == Campaign.Status.FAILED and campaign.deadline_raised is not None:
            campaign.totals = services.Totals(campaign.deadline_raised, campaign.deadline_backers or 0, Decimal("0"))
            campaign.percent = min(int(campaign.deadline_raised * 100 / campaign.goal), 999)
    return campaigns


@community_page(Perm.VIEW)
def campaigns(request, community, membership):
    items = _with_shown_totals(list(selectors.campaigns_for_member(membership)[:50]))
    live = sorted((c for c in items if c.status == Campaign.Status.LIVE), key=lambda c: (c.deadline, c.pk))
    settling = [c for c in items if c.status == Campaign.Status.SETTLING]
    finished = [c for c in items if c.status not in (Campaign.Status.LIVE, Campaign.Status.SETTLING)]
    return render(request, "crowdfunding/campaigns.html", {
        "community": community, "membership": membership, "live": live + settling, "finished": finished})


def _tier_rows(tiers, form):
    """Each tier with what the page shows: the price a backer pays now, its price steps and what is left."""
    rows = []
    chosen = str(form["tier"].value() or "") if form.is_bound else ""
    for tier in tiers:
        steps = list(tier.price_steps.all())
        rows.append({
            "tier": tier, "steps": steps,
            "price_now": services.tier_price(tier, tier.quantity_taken + 1, steps),
            "next_step": next((s for s in steps if s.min_quantity > tier.quantity_taken), None),
            "sold_out": tier.remaining == 0,
            "chosen": chosen == str(tier.pk),
        })
    return rows


def _pickup_points(community, campaign, membership):
    """The pickup points a backer may choose: the community's in use (a branch's campaign: that
    branch's and the community-wide ones); the member's branch's first."""
    points = community.pickup_points.filter(is_active=True)
    if campaign.branch_id:
        points = points.filter(Q(branch__isnull=True) | Q(branch_id=campaign.branch_id))
    points = list(points.order_by("name"))
    points.sort(key=lambda p: 0 if membership.branch_id and p.branch_id == membership.branch_id else 1)
    return points


@community_page(Perm.VIEW)
def campaign(request, community, membership, pk):
    item = (selectors.campaigns_for_member(membership).select_related("community").filter(pk=pk).first())
    if item is None:
        raise Http404
    _with_shown_totals([item])
    tiers = list(item.tiers.prefetch_related("price_steps")) if item.kind == Campaign.Kind.REWARD else []
    now = timezone.now()
    is_open = item.status == Campaign.Status.LIVE and now < item.deadline
    points = _pickup_points(community, item, membership) if any(
        t.fulfilment == RewardTier.Fulfilment.PICKUP for t in tiers) else []
    initial = {"token": uuid.uuid4().hex, "quantity": 1,
               "pickup_point": points[0].pk if points and (len(points) == 1 or (
                   membership.branch_id and points[0].branch_id == membership.branch_id)) else None}
    if not tiers:
        initial["tier"] = NO_REWARD
    form = PledgeForm(request.POST if request.method == "POST" else None, tiers=tiers, initial=initial)
    status = 200
    if request.method == "POST":
        if not is_open:  # the form is gone from the page: say it on top
            form.is_valid()
            form.add_error(None, _("This campaign is not taking pledges."))
            messages.error(request, _("This campaign is not taking pledges."))
        elif form.is_valid():
            data = form.cleaned_data
            tier = data["tier_obj"]
            try:
                pledge, _created = services.pledge_place(
                    member=membership, campaign=item, idempotency_key=data["token"],
                    tier_id=tier.pk if tier else None, quantity=data["quantity"] or 1,
                    extra_support=data["extra_support"] or "0", amount=None if tier else data["amount"],
                    anonymous=data["anonymous"], note=data["note"],
                    pickup_point_id=data["pickup_point"] if tier and tier.fulfilment == "pickup" else None,
                    shipping_address=data["shipping_address"] if tier and tier.fulfilment == "shipping" else "")
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return redirect(pledge.get_absolute_url())
        status = 400
    return render(request, "crowdfunding/campaign.html", {
        "community": community, "membership": membership, "campaign": item, "totals": item.totals,
        "form": form, "rows": _tier_rows(tiers, form), "is_open": is_open, "points": points,
        "has_pickup": any(t.fulfilment == RewardTier.Fulfilment.PICKUP for t in tiers),
        "has_shipping": any(t.fulfilment == RewardTier.Fulfilment.SHIPPING for t in tiers),
        "backers": selectors.backers(item, limit=RECENT_BACKERS),
        "updates": list(item.updates.all()[:RECENT_UPDATES]),
        "my_pledges": list(item.pledges.filter(member_id=membership.user_id).exclude(
            status=Pledge.Status.CANCELLED).select_related("tier", "community").order_by("-created_at")[:5]),
    }, status=status)


@community_page(Perm.VIEW)
def my_pledges(request, community, membership):
    return render(request, "crowdfunding/my_pledges.html", {
        "community": community, "membership": membership, "pledges": list(selectors.my_pledges(membership).select_related("community")[:100])})


def _load_pledge(community, membership, pk) -> Pledge:
    pledge = (community.pledges.filter(member_id=membership.user_id, pk=pk)
              .select_related("campaign__community", "tier", "pickup_point", "charge", "community")
              .prefetch_related(Prefetch("charge__payments", queryset=Payment.objects.order_by("-created_at", "-id")),
                                Prefetch("charge__refunds", queryset=Refund.objects.order_by("-created_at", "-id")))
              .first())
    if pledge is None:
        raise Http404
    return pledge


def _pledge_page(request, community, membership, pledge, *, transfer_form=None, status=200):
    wallet = community.wallets.filter(member_id=membership.user_id).first()
    balance = wallet.balance if wallet else Decimal("0")
    owed = pledge.charge.amount - pledge.charge.paid_amount
    campaign = pledge.campaign
    live = campaign.status == Campaign.Status.LIVE and timezone.now() < campaign.deadline
    pickup = pledge.tier is not None and pledge.tier.fulfilment == RewardTier.Fulfilment.PICKUP
    return render(request, "crowdfunding/pledge.html", {
        "community": community, "membership": membership, "pledge": pledge, "campaign": campaign,
        "balance": balance, "wallet_short": owed - balance if balance < owed else None,
        "transfer_form": transfer_form or TransferForm(),
        "reported": [p for p in pledge.charge.payments.all() if p.method == "manual" and p.status == "pending"],
        "declined": [p for p in pledge.charge.payments.all() if p.method == "manual" and p.status == "declined"],
        "payable": pledge.status == Pledge.Status.PENDING_PAYMENT and live,
        "can_cancel": pledge.status in services.LIVE_PLEDGE and live,
        "show_code": pickup and pledge.status in (Pledge.Status.COLLECTED, Pledge.Status.HANDED_OUT),
        "pickup": pickup, "reward_total": pledge.unit_amount * pledge.quantity,
    }, status=status)


@community_page(Perm.VIEW)
def pledge(request, community, membership, pk):
    return _pledge_page(request, community, membership, _load_pledge(community, membership, pk))


@require_POST
@community_page(Perm.VIEW)
def pledge_pay(request, community, membership, pk):
    pledge = _load_pledge(community, membership, pk)
    try:
        if request.POST.get("method") == "wallet":
            try:
                services.pledge_pay_with_wallet(member=membership, pledge=pledge)
            except DomainError as error:
                # A double tap: the first tap paid, the second finds nothing to pay. Say it was paid.
                pledge.refresh_from_db(fields=["status"])
                if error.code != "not_payable" or pledge.status not in services.PAID_PLEDGE:
                    raise
            messages.success(request, _("Paid from your wallet. Thank you for your support!"))
        else:
            form = TransferForm(request.POST)
            if not form.is_valid():
                return _pledge_page(request, community, membership, pledge, transfer_form=form, status=400)
            services.pledge_report_transfer(member=membership, pledge=pledge,
                                            reference=form.cleaned_data.get("reference", ""))
            messages.success(request, _("Thank you! An admin will confirm your transfer."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(pledge.get_absolute_url())


@require_POST
@community_page(Perm.VIEW)
def pledge_cancel(request, community, membership, pk):
    pledge = _load_pledge(community, membership, pk)
    try:
        services.pledge_cancel(member=membership, pledge=pledge)
        messages.success(request, _("Your pledge was cancelled."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(pledge.get_absolute_url())


@community_page(Perm.VIEW)
def pledge_qr(request, community, membership, pk):
    """The reward's pickup code as a QR (the 6 digits), which the pickup desk reads or types: once
    the campaign succeeded, as the page shows it."""
    code = (community.pledges.filter(member_id=membership.user_id, pk=pk, tier__fulfilment="pickup",
                                     status__in=(Pledge.Status.COLLECTED, Pledge.Status.HANDED_OUT))
            .values_list("pickup_code", flat=True).first())
    if code is None:
        raise Http404
    image = qrcode.make(code, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
