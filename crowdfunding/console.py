"""Console pages for campaigns (众筹, admins and leaders, desktop): the list, the campaign form with
its reward tiers, a campaign's pledges and payments, updates, the rewards to hand out (sheets and
CSV) and the hand-out box.

Views stay thin: every query starts from the community and is narrowed by the actor's scope
(services.campaigns_in_view / campaigns_in_scope: a leader sees whole-community campaigns, their
branch's and their own, and changes their own), every change goes through crowdfunding.services,
and a DomainError becomes a form error or a message. Money confirmations (transfers received or
not) are the admins' (Perm.MANAGE_ORDERS), as the services check.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from communities.permissions import Perm, acts_community_wide, has_perm, pickup_points_in_scope
from core.exceptions import DomainError
from core.inputs import parse_id, parse_int
from crowdfunding import exports, selectors, services
from crowdfunding.console_forms import CampaignForm, UpdateForm, tier_formset_class, tier_initial
from crowdfunding.models import Campaign, Pledge, RewardTier
from communities.pages import console_context as _ctx
from communities.pages import console_page
from orders.console import _back
from payments.models import Payment

PAGE_SIZE = 100
SECTION = "campaigns"
HAND_OUT_CODE_MAX = 120  # a scanner may type more than the 6 digits; the service reads the digits


def _campaigns_in_view(membership, community):
    return services.campaigns_in_view(membership, community.campaigns.all())


def _campaigns_in_scope(membership, community):
    return services.campaigns_in_scope(membership, community.campaigns.all())


def _detail_url(community, campaign_id) -> str:
    return reverse("crowdfunding_console:campaign", kwargs={"slug": community.slug, "pk": campaign_id})


def _pledges_in_scope(membership, campaign, pledges):
    """Pledges the actor reads: admins all; a leader those of their own campaign, else those of
    their branch's members and pickup points (another branch's backers stay unseen)."""
    if acts_community_wide(membership) or campaign.created_by_id == membership.user_id:
        return pledges
    if not membership.branch_id:
        return pledges.none()
    return pledges.filter(Q(branch_id=membership.branch_id) | Q(pickup_point__branch_id=membership.branch_id))


# The list ----------------------------------------------------------------------------------------

@require_safe
@console_page(Perm.MANAGE_CAMPAIGNS)
def campaigns(request, community, membership):
    status = request.GET.get("status", "")
    visible = _campaigns_in_view(membership, community)
    qs = visible.select_related("branch").order_by("-created_at", "-id")
    if status in Campaign.Status.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    selectors.with_totals(list(page.object_list))
    counts = dict(visible.values_list("status").annotate(n=Count("id")).order_by())
    tabs = [("", _("All"), sum(counts.values()))] + [(value, label, counts.get(value, 0))
                                                     for value, label in Campaign.Status.choices]
    return render(request, "crowdfunding/console/campaigns.html", _ctx(
        community, membership, SECTION, page=page, tabs=tabs, status=status, filters={"status": status}))


# The form ----------------------------------------------------------------------------------------

def _fill_frozen(data, form_initial: dict, frozen: tuple, rows: list[tuple[int, dict, list]]):
    """Disabled inputs are not sent by the browser: the values shown stand in for them, so the
    service compares what the admin saw (and refuses a change made meanwhile, with the reason)."""
    data = data.copy()
    for name in frozen:
        if name not in data:
            data[name] = form_initial.get(name, "")
    for index, initial, names in rows:
        for name in names:
            key = f"tiers-{index}-{name}"
            if key not in data:
                data[key] = initial.get(name, "")
    return data


def _place_errors(error: DomainError, form, formset, rows: list[int]) -> list[str]:
    """Put a service error next to its field or tier row ("tiers.2.amount" is the third filled row)."""
    tier_errors, placed = [], False
    for key, texts in (error.fields or {}).items():
        if key in form.fields:
            for text in texts:
                form.add_error(key, text)
            placed = True
        elif key.startswith("tiers."):
            parts = key.split(".")
            spec = parse_int(parts[1], minimum=0, maximum=len(rows) - 1)
            if spec is not None:
                row = formset.forms[rows[spec]]
                name = parts[2] if len(parts) > 2 else None
                if name == "price_steps" or name is None or name not in row.fields or name == "id":
                    for text in texts:
                        row.add_error(None, text)
                else:
                    for text in texts:
                        row.add_error(name, text)
                placed = True
        elif key == "tiers":
            tier_errors.extend(texts)
            placed = True
    if not placed:
        form.add_error(None, error.message)
    return tier_errors


def _campaign_form_page(request, community, membership, *, campaign=None):
    editing = campaign is not None
    initial = CampaignForm.initial_of(campaign) if editing else {}
    rows_initial = tier_initial(campaign) if editing else []
    tiers_open = not editing or campaign.status in (Campaign.Status.DRAFT, Campaign.Status.LIVE)
    backed = set()
    if editing and campaign.status == Campaign.Status.LIVE:
        backed = set(campaign.pledges.filter(status__in=services.BACKED, tier__isnull=False)
                     .values_list("tier_id", flat=True))
    frozen_rows = [(i, row, [n for n in row if n not in ("tier_id", "quantity_limit")])
                   for i, row in enumerate(rows_initial) if row["tier_id"] in backed]
    data = None
    if request.method == "POST":
        frozen = CampaignForm(community=community, membership=membership, campaign=campaign).frozen
        data = _fill_frozen(request.POST, initial, frozen, frozen_rows)
    form = CampaignForm(data, request.FILES or None, community=community, membership=membership,
                        campaign=campaign, initial=initial)
    extra = 2 if editing and rows_initial else 3  # hidden by the page's script until "+ Add a reward tier"
    extra = parse_id(request.GET.get("rows")) or extra
    formset = tier_formset_class(extra)(data if tiers_open else None, prefix="tiers", initial=rows_initial or None)
    for index, row in enumerate(rows_initial):
        if row["tier_id"] in backed and index < len(formset.forms):
            formset.forms[index].freeze()
    tier_errors: list[str] = []
    if request.method == "POST":
        valid = form.is_valid()
        if tiers_open:
            valid = formset.is_valid() and valid
        if valid:
            rows = [index for index, _row in formset.filled()] if tiers_open else []
            try:
                cover = form.cleaned_data.get("cover")
                tiers = formset.specs() if tiers_open else None
                with transaction.atomic():
                    if editing:
                        result = services.campaign_update(actor=membership, campaign=campaign, values=form.values(),
                                                          tiers=tiers)
                    else:
                        result = services.campaign_create(actor=membership, tiers=tiers, **form.values())
                    if cover:  # checked and re-encoded by the service; refused, the whole save is undone
                        result = services.campaign_set_cover(actor=membership, campaign=result, upload=cover)
            except DomainError as error:
                tier_errors = _place_errors(error, form, formset, rows)
            else:
                if editing:
                    messages.success(request, _("“%(title)s” was saved.") % {"title": result.title})
                else:
                    messages.success(request, _("“%(title)s” was saved as a draft: check it, then launch it.") % {
                        "title": result.title})
                return redirect(_detail_url(community, result.pk))
        else:
            tier_errors = list(formset.non_form_errors()) if tiers_open else []
    return render(request, "crowdfunding/console/campaign_form.html", _ctx(
        community, membership, SECTION, form=form, formset=formset, campaign=campaign, tier_errors=tier_errors,
        tiers_open=tiers_open, more_rows=min(len(formset.forms) + 3, 20)),
        status=400 if request.method == "POST" else 200)


@console_page(Perm.MANAGE_CAMPAIGNS)
def campaign_new(request, community, membership):
    return _campaign_form_page(request, community, membership)


@console_page(Perm.MANAGE_CAMPAIGNS)
def campaign_edit(request, community, membership, pk):
    campaign = get_object_or_404(_campaigns_in_scope(membership, community).select_related("branch"), pk=pk)
    if campaign.status == Campaign.Status.CANCELLED:
        messages.error(request, _("This campaign was cancelled: it can no longer change."))
        return redirect(_detail_url(community, campaign.pk))
    return _campaign_form_page(request, community, membership, campaign=campaign)


# The campaign ------------------------------------------------------------------------------------

@require_safe
@console_page(Perm.MANAGE_CAMPAIGNS)
def campaign(request, community, membership, pk):
    item = get_object_or_404(_campaigns_in_view(membership, community).select_related("branch", "created_by"), pk=pk)
    selectors.with_totals([item])
    mine = _campaigns_in_scope(membership, community).filter(pk=item.pk).exists()
    tiers = list(item.tiers.prefetch_related("price_steps"))
    status = request.GET.get("status", "")
    in_scope = _pledges_in_scope(membership, item, item.pledges.all())
    pledges = (in_scope.select_related("member", "tier", "pickup_point", "charge")
               .prefetch_related(Prefetch("charge__payments", queryset=Payment.objects.order_by("-created_at", "-id")))
               .annotate(waiting=services.transfer_waiting()).order_by("-created_at", "-id"))
    if status == "waiting":
        pledges = pledges.filter(waiting=True)
    elif status in Pledge.Status.values:
        pledges = pledges.filter(status=status)
    else:
        status = ""
    page = Paginator(pledges, PAGE_SIZE).get_page(request.GET.get("page"))
    tickable = False
    for pledge in page.object_list:
        found = list(pledge.charge.payments.all())
        pledge.reported = next((p for p in found if p.method == Payment.Method.MANUAL
                                and p.status == Payment.Status.PENDING), None)
        tickable = tickable or bool(pledge.reported) or pledge.status == Pledge.Status.PENDING_PAYMENT
    counts = dict(in_scope.values_list("status").annotate(n=Count("id")).order_by())
    waiting_count = in_scope.filter(Exists(Payment.objects.filter(charge_id=OuterRef("charge_id"),
                                                                  status=Payment.Status.PENDING))).count()
    rewards = _rewards_rows(membership, item)
    shipping = []
    if item.status == Campaign.Status.SUCCEEDED:
        shipping = list(in_scope.filter(status__in=(Pledge.Status.COLLECTED, Pledge.Status.SHIPPED),
                                        tier__fulfilment=RewardTier.Fulfilment.SHIPPING)
                        .select_related("member", "tier").order_by("status", "pk")[:500])
    updates = list(item.updates.select_related("author")[:50])
    return render(request, "crowdfunding/console/campaign.html", _ctx(
        community, membership, SECTION, campaign=item, tiers=tiers, page=page, status=status,
        filters={"status": status}, status_counts=[(v, label, counts[v]) for v, label in Pledge.Status.choices
                                                   if counts.get(v)],
        waiting_count=waiting_count, tickable=tickable, rewards=rewards, shipping=shipping, updates=updates,
        update_form=UpdateForm(), mine=mine,
        can_edit=mine and item.status != Campaign.Status.CANCELLED,
        can_launch=mine and item.status == Campaign.Status.DRAFT,
        can_cancel=mine and item.status in (Campaign.Status.DRAFT, Campaign.Status.LIVE),
        can_post=mine and item.status not in (Campaign.Status.DRAFT, Campaign.Status.CANCELLED),
        can_money=has_perm(membership, Perm.MANAGE_ORDERS),
        hand_out=item.status == Campaign.Status.SUCCEEDED and any(t.fulfilment == "pickup" for t in tiers),
        grace_end=item.deadline + timedelta(minutes=community.payment_window_minutes)))


def _campaign_action(request, community, membership, pk, act, success):
    item = get_object_or_404(_campaigns_in_scope(membership, community), pk=pk)
    try:
        result = act(item)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect(_detail_url(community, item.pk))


@require_POST
@console_page(Perm.MANAGE_CAMPAIGNS)
def campaign_launch(request, community, membership, pk):
    return _campaign_action(request, community, membership, pk,
                            lambda c: services.campaign_launch(actor=membership, campaign=c),
                            _("Launched: members can back the campaign until its deadline."))


@require_POST
@console_page(Perm.MANAGE_CAMPAIGNS)
def campaign_cancel(request, community, membership, pk):
    reason = request.POST.get("reason", "").replace("\x00", "").strip()[:200]
    return _campaign_action(request, community, membership, pk,
                            lambda c: services.campaign_cancel(actor=membership, campaign=c, reason=reason),
                            _("The campaign was cancelled: every pledge was released and what was paid refunded."))


@require_POST
@console_page(Perm.MANAGE_CAMPAIGNS)
def campaign_update_post(request, community, membership, pk):
    item = get_object_or_404(_campaigns_in_scope(membership, community), pk=pk)
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            services.update_post(actor=membership, campaign=item, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The update was posted; every backer was notified."))
    else:
        messages.error(request, " ".join(f"{form.fields[name].label}: {' '.join(errors)}"
                                         for name, errors in form.errors.items()))
    return redirect(_detail_url(community, item.pk) + "#updates")


# Payments (admins) -------------------------------------------------------------------------------

@require_POST
@console_page(Perm.MANAGE_ORDERS)
def pledges_mark_received(request, community, membership, pk):
    item = get_object_or_404(_campaigns_in_view(membership, community), pk=pk)
    back = _back(request, _detail_url(community, item.pk))
    raw = [request.POST["only"]] if request.POST.get("only") else request.POST.getlist("pledge")
    ids = {parse_id(value) or -1 for value in raw[:PAGE_SIZE * 5]}
    if not ids:
        messages.error(request, _("Tick the pledges whose payment you received."))
        return redirect(back)
    chosen = list(item.pledges.filter(pk__in=ids))
    if len(chosen) != len(ids):
        raise Http404
    try:
        marked = services.pledges_mark_received(actor=membership, pledges=chosen,
                                                reference=request.POST.get("reference", "").replace("\x00", ""))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    if marked:
        messages.success(request, ngettext("%(n)s pledge marked as paid; the backer was told.",
                                           "%(n)s pledges marked as paid; the backers were told.",
                                           len(marked)) % {"n": len(marked)})
    skipped = len(chosen) - len(marked)
    if skipped:
        messages.warning(request, ngettext(
            "%(n)s pledge was not waiting for payment and was left as it is (a transfer that arrived for it "
            "anyway is recorded and owed back under Refunds owed).",
            "%(n)s pledges were not waiting for payment and were left as they are (transfers that arrived for "
            "them anyway are recorded and owed back under Refunds owed).", skipped) % {"n": skipped})
    return redirect(back)


def _pledge_of(membership, community, pk, *, change: bool):
    pledge = get_object_or_404(Pledge.objects.select_related("campaign", "member"), community=community, pk=pk)
    campaigns_ = _campaigns_in_scope(membership, community) if change else _campaigns_in_view(membership, community)
    if not campaigns_.filter(pk=pledge.campaign_id).exists() or not _pledges_in_scope(
            membership, pledge.campaign, Pledge.objects.filter(pk=pledge.pk)).exists():
        raise Http404
    return pledge


@require_POST
@console_page(Perm.MANAGE_ORDERS)
def pledge_transfer_decline(request, community, membership, pk):
    pledge = _pledge_of(membership, community, pk, change=False)
    note = request.POST.get("note", "").replace("\x00", "").strip()[:200]
    try:
        services.pledge_transfer_decline(actor=membership, pledge=pledge, note=note)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The transfer reported by %(name)s was marked not received; they were told.") % {
            "name": pledge.member.display_name})
    return redirect(_back(request, _detail_url(community, pledge.campaign_id)))


@require_POST
@console_page(Perm.MANAGE_CAMPAIGNS)
def pledge_ship(request, community, membership, pk):
    pledge = _pledge_of(membership, community, pk, change=True)
    tracking = request.POST.get("tracking", "").replace("\x00", "").strip()
    try:
        services.reward_ship(actor=membership, pledge=pledge, tracking=tracking)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The reward of %(name)s is on its way; they were told.") % {
            "name": pledge.member.display_name})
    return redirect(_back(request, _detail_url(community, pledge.campaign_id)))


# Rewards: what to hand out, sheets and CSV -------------------------------------------------------

def _rewards_rows(membership, campaign) -> list[dict]:
    """selectors.rewards_to_hand_out, narrowed for a leader to their branch's pickup points (a
    leader's own campaign: all of it)."""
    rows = selectors.rewards_to_hand_out(campaign)
    if acts_community_wide(membership) or campaign.created_by_id == membership.user_id:
        return rows
    points = set(pickup_points_in_scope(membership, campaign.community.pickup_points.all())
                 .values_list("pk", flat=True))
    return [row for row in rows if row["pickup_point_id"] in points]


@require_safe
@console_page(Perm.MANAGE_CAMPAIGNS)
def campaign_rewards(request, community, membership, pk):
    """Every reward to hand out or ship, one line per pledge (CSV)."""
    item = get_object_or_404(_campaigns_in_view(membership, community), pk=pk)
    pledges = _pledges_in_scope(membership, item, exports.reward_pledges(item))
    return exports.rewards_csv(item, list(pledges))


@require_safe
@console_page(Perm.CONFIRM_PICKUP)
def reward_sheet(request, community, membership, pk, point_pk):
    """The printable sheet of one pickup point: who collects which reward (and CSV)."""
    item = get_object_or_404(_campaigns_in_view(membership, community), pk=pk)
    point = get_object_or_404(pickup_points_in_scope(membership, community.pickup_points.select_related("leader")),
                              pk=point_pk)
    pledges = list(_pledges_in_scope(membership, item, exports.reward_pledges(item).filter(pickup_point=point)))
    if request.GET.get("format") == "csv":
        return exports.reward_sheet_csv(item, point, pledges)
    totals: dict[str, int] = {}
    for pledge in pledges:
        totals[pledge.tier.title] = totals.get(pledge.tier.title, 0) + pledge.quantity
    return render(request, "crowdfunding/console/reward_sheet.html", _ctx(
        community, membership, SECTION, campaign=item, point=point, pledges=pledges, totals=sorted(totals.items()),
        printed_at=timezone.now()))


# The hand-out box --------------------------------------------------------------------------------

def _hand_out_url(community, campaign_id, code: str = "") -> str:
    url = reverse("crowdfunding_console:reward_hand_out", kwargs={"slug": community.slug, "pk": campaign_id})
    return f"{url}?{urlencode({'code': code})}" if code else url


@console_page(Perm.CONFIRM_PICKUP)
def reward_hand_out(request, community, membership, pk):
    """Type or scan the backer's 6-digit code: the reward is found (or the page says plainly why
    not), then handed out with one more click."""
    item = get_object_or_404(_campaigns_in_view(membership, community), pk=pk)
    if request.method == "POST":
        code = request.POST.get("code", "").replace("\x00", "").strip()[:HAND_OUT_CODE_MAX]
        pledge = get_object_or_404(_pledges_in_scope(membership, item, item.pledges.select_related("member", "tier")),
                                   pk=parse_id(request.POST.get("pledge")) or -1)
        try:
            services.reward_hand_out(actor=membership, pledge=pledge, code=code)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(_hand_out_url(community, item.pk, code))
        messages.success(request, _("Handed out: %(tier)s ×%(n)s to %(name)s.") % {
            "tier": pledge.tier.title, "n": pledge.quantity, "name": pledge.member.display_name})
        return redirect(_hand_out_url(community, item.pk))
    if request.method not in ("GET", "HEAD"):
        return redirect(_hand_out_url(community, item.pk))
    code = request.GET.get("code", "").replace("\x00", "").strip()[:HAND_OUT_CODE_MAX]
    found, outcome = None, None
    if code:
        try:
            found = services.reward_find(actor=membership, campaign=item, code=code)
        except DomainError as error:
            outcome = {"kind": "wrong", "heading": _("Wrong code"), "message": error.message, "code": error.code}
        else:
            if not _pledges_in_scope(membership, item, Pledge.objects.filter(pk=found.pk)).exists():
                found = None
                outcome = {"kind": "wrong", "heading": _("Wrong code"),
                           "message": _("No reward waiting for pickup has this code."), "code": "pickup_not_found"}
            else:
                outcome = _hand_out_outcome(item, found)
    recent = list(_pledges_in_scope(membership, item, item.pledges.filter(status=Pledge.Status.HANDED_OUT))
                  .select_related("member", "tier", "pickup_point").order_by("-handed_out_at", "-pk")[:10])
    return render(request, "crowdfunding/console/hand_out.html", _ctx(
        community, membership, SECTION, campaign=item, code=code, found=found, outcome=outcome, recent=recent,
        code_max=HAND_OUT_CODE_MAX))


def _hand_out_outcome(campaign, pledge) -> dict:
    if pledge.status == Pledge.Status.HANDED_OUT:
        when = timezone.localtime(pledge.handed_out_at).strftime("%Y-%m-%d %H:%M")
        return {"kind": "done", "heading": _("Already handed out"), "code": "already_picked_up",
                "message": _("This reward was already handed out on %(when)s.") % {"when": when}}
    if pledge.tier is None or pledge.tier.fulfilment != RewardTier.Fulfilment.PICKUP:
        return {"kind": "wrong", "heading": _("Nothing to hand over"), "code": "not_pickup",
                "message": _("This pledge has no reward to pick up.")}
    if pledge.status != Pledge.Status.COLLECTED:
        if campaign.status in (Campaign.Status.LIVE, Campaign.Status.SETTLING):
            message = _("The campaign has not succeeded yet: rewards are handed out once it has.")
        else:
            message = _("This reward cannot be handed out: the campaign has not succeeded yet.")
        return {"kind": "waiting", "heading": _("Not yet"), "code": "not_collected", "message": message}
    return {"kind": "ready", "heading": _("Ready to hand over"), "code": "ready", "message": ""}
