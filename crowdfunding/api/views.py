"""REST API for campaigns (众筹): what members see and back, and the console's campaign actions.

Each view: input serializer → rows from the community-scoped queryset → service → output
serializer. The community and the caller's membership come from the URL's slug
(communities.api.views.CommunityAPIView); services raise DomainErrors and check permissions again.

Scope: a member sees live and finished campaigns aimed at everyone or at their branch, and only
their own pledges. In the console a leader sees the campaigns for the whole community, their
branch's and their own (services.campaigns_in_view), changes only their own
(services.campaigns_in_scope), and reads the pledges of their branch's members and pickup points;
anything else answers 404, as another community's rows do.

Backing is idempotent by the pledge's own key (the Idempotency-Key header, kept on the pledge row
by services.pledge_place); creating a campaign goes through core.idempotency.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from communities.api.views import CommunityAPIView
from communities.permissions import Perm, acts_community_wide
from core.api import error_responses as errors
from core.exceptions import NotFound
from core.filters import FILTER_BACKENDS
from core.idempotency import KEY_PARAMETER, idempotency_key, idempotent
from crowdfunding import selectors, services
from crowdfunding.api import filters
from crowdfunding.api import serializers as s
from crowdfunding.models import Campaign, CampaignUpdate, Pledge
from orders.api.views import JSONAPIView, _all_or_404, _valid

TAG_CAMPAIGNS = "campaigns"
TAG_CONSOLE = "campaigns console"
RECENT_BACKERS = 20
LATEST_UPDATES = 5

PLEDGE_KEY = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": 100}, OpenApiParameter.HEADER, required=True,
    description=_lazy("A unique key per pledge attempt (1 to 100 characters), e.g. a UUID. Sending it again "
                      "with the same body answers 200 with the same pledge; with another body, 422."))
PLEDGE_ANSWERS = {
    201: OpenApiResponse(s.PledgeDetailSerializer, description=_lazy("Pledge placed")),
    200: OpenApiResponse(s.PledgeDetailSerializer, description=_lazy("A retry with the same key: the same pledge")),
    **errors(400, 403, 404, 409, 422),
}


# Helpers -----------------------------------------------------------------------------------

def _campaign_not_found() -> NotFound:
    return NotFound(_("This campaign does not exist."), code="campaign_not_found")


def _pledge_not_found() -> NotFound:
    return NotFound(_("This pledge does not exist."), code="pledge_not_found")


def _member_campaign(view: CommunityAPIView, pk: int) -> Campaign:
    """A campaign the member sees (live or finished, aimed at everyone or at their branch)."""
    campaign = selectors.campaigns_for_member(view.membership).select_related("community").filter(pk=pk).first()
    if campaign is None:
        raise _campaign_not_found()
    return campaign


def _my_pledges(view: CommunityAPIView):
    return selectors.my_pledges(view.membership).select_related("campaign__community").annotate(
        transfer_reported=services.transfer_waiting())


def _my_pledge(view: CommunityAPIView, pk: int) -> Pledge:
    pledge = _my_pledges(view).prefetch_related("charge__payments", "charge__refunds").filter(pk=pk).first()
    if pledge is None:
        raise _pledge_not_found()
    return pledge


def _console_campaigns(view: CommunityAPIView):
    return services.campaigns_in_view(view.membership, view.community.campaigns.all())


def _campaign_in_view(view: CommunityAPIView, pk: int) -> Campaign:
    """A campaign the caller sees in the console (a leader: for everyone, their branch's, their own)."""
    campaign = _console_campaigns(view).select_related("community", "created_by").filter(pk=pk).first()
    if campaign is None:
        raise _campaign_not_found()
    return campaign


def _campaign_in_scope(view: CommunityAPIView, pk: int) -> Campaign:
    """A campaign the caller may change (a leader: their own); others in view answer 404 too."""
    campaign = services.campaigns_in_scope(view.membership, _console_campaigns(view)).select_related(
        "community").filter(pk=pk).first()
    if campaign is None:
        raise _campaign_not_found()
    return campaign


def _console_pledges(view: CommunityAPIView):
    """Pledges the caller reads in the console: of campaigns in view; a leader's, those of their
    branch's members and pickup points, and every pledge of the campaigns they made."""
    pledges = view.community.pledges.filter(campaign__in=_console_campaigns(view))
    membership = view.membership
    if not acts_community_wide(membership):
        mine = Q(campaign__created_by_id=membership.user_id)
        if membership.branch_id:
            mine |= Q(branch_id=membership.branch_id) | Q(pickup_point__branch_id=membership.branch_id)
        pledges = pledges.filter(mine)
    return (pledges.select_related("member", "tier", "pickup_point", "campaign__community")
            .annotate(transfer_reported=services.transfer_waiting()))


def _console_pledge(view: CommunityAPIView, pk: int) -> Pledge:
    pledge = _console_pledges(view).filter(pk=pk).first()
    if pledge is None:
        raise _pledge_not_found()
    return pledge


def _campaign_answer(view: CommunityAPIView, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    campaign = (view.community.campaigns.select_related("created_by", "community")
                .prefetch_related("tiers__price_steps").get(pk=pk))
    selectors.with_totals([campaign])
    data = s.AdminCampaignSerializer(campaign, context={"request": view.request}).data
    return Response(data, status=status_code)


def _tier_specs(tiers: list[dict]) -> list[services.TierSpec]:
    return [services.TierSpec(title=t["title"], amount=t["amount"], description=t["description"],
                              quantity_limit=t["quantity_limit"], estimated_delivery=t["estimated_delivery"],
                              fulfilment=t["fulfilment"], id=t.get("id"),
                              price_steps=[(step["min_quantity"], step["price"]) for step in t["price_steps"]])
            for t in tiers]


# Campaigns for members -----------------------------------------------------------------------

class CampaignListView(JSONAPIView):
    """Campaigns I can back or follow: live and finished ones aimed at everyone or my branch."""

    permission = Perm.VIEW
    filter_backends = FILTER_BACKENDS
    filterset_class = filters.CampaignFilter
    queryset = Campaign.objects.none()  # the model, for the schema; rows come from the selector

    @extend_schema(responses={200: s.CampaignSerializer(many=True), **errors(400, 403, 404)},
                   tags=[TAG_CAMPAIGNS], summary=_lazy("Campaigns"),
                   description=_lazy("Each with its progress: raised, backers, goal, percent and days left."))
    def get(self, request, slug):
        campaigns = selectors.campaigns_for_member(self.membership).order_by("-created_at", "-id")
        page = self.paginate_queryset(self.filter_queryset(campaigns))
        selectors.with_totals(page)
        return self.get_paginated_response(s.CampaignSerializer(page, many=True, context={"request": request}).data)


class CampaignDetailView(JSONAPIView):
    """A campaign's page: story, tiers (units left, current price, price steps), progress, recent
    backers (anonymous ones without a name) and the latest updates."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.CampaignDetailSerializer, **errors(403, 404)}, tags=[TAG_CAMPAIGNS],
                   summary=_lazy("A campaign"))
    def get(self, request, slug, pk):
        campaign = _member_campaign(self, pk)
        campaign = (Campaign.objects.prefetch_related("tiers__price_steps").select_related("community")
                    .get(pk=campaign.pk))
        context = {"request": request, "backers": selectors.backers(campaign, limit=RECENT_BACKERS),
                   "updates": list(campaign.updates.select_related("author")[:LATEST_UPDATES])}
        selectors.with_totals([campaign])
        return Response(s.CampaignDetailSerializer(campaign, context=context).data)


class CampaignUpdateListView(JSONAPIView):
    """A campaign's updates from its creator, newest first."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.CampaignUpdateSerializer(many=True), **errors(403, 404)},
                   tags=[TAG_CAMPAIGNS], summary=_lazy("A campaign's updates"))
    def get(self, request, slug, pk):
        campaign = _member_campaign(self, pk)
        page = self.paginate_queryset(campaign.updates.select_related("author").order_by("-created_at", "-id"))
        return self.get_paginated_response(s.CampaignUpdateSerializer(page, many=True).data)


# Pledges -----------------------------------------------------------------------------------

class CampaignPledgeView(JSONAPIView):
    """Back a campaign: a reward tier (units, extra support) or a gift without a reward."""

    permission = Perm.VIEW

    @extend_schema(parameters=[PLEDGE_KEY], request=s.PledgeCreateSerializer, responses=PLEDGE_ANSWERS,
                   tags=[TAG_CAMPAIGNS], summary=_lazy("Back a campaign"),
                   description=_lazy(
                       "Never passes a tier's limited quantity: 409 sold_out when fewer units are left than "
                       "asked for; 409 campaign_closed once it no longer takes pledges. A reward picked up "
                       "needs pickup_point, one shipped needs shipping_address; without a tier, amount is "
                       "the gift. An unpaid pledge holds its units for the community's payment window: pay "
                       "it with …/pledges/{id}/pay/."))
    def post(self, request, slug, pk):
        key = idempotency_key(request)
        data = _valid(s.PledgeCreateSerializer, request.data)
        campaign = _member_campaign(self, pk)
        pledge, created = services.pledge_place(
            member=self.membership, campaign=campaign, idempotency_key=key, tier_id=data["tier"],
            quantity=data["quantity"], extra_support=data["extra_support"], amount=data["amount"],
            anonymous=data["anonymous"], note=data["note"], pickup_point_id=data["pickup_point"],
            shipping_address=data["shipping_address"])
        return Response(s.PledgeDetailSerializer(_my_pledge(self, pledge.pk)).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PledgeListView(JSONAPIView):
    """My pledges, newest first."""

    permission = Perm.VIEW
    filter_backends = FILTER_BACKENDS
    filterset_class = filters.PledgeFilter
    queryset = Pledge.objects.none()

    @extend_schema(responses={200: s.PledgeSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG_CAMPAIGNS],
                   summary=_lazy("My pledges"),
                   description=_lazy("To sync, keep the newest updated_at seen and ask for updated_since with "
                                     "ordering=updated_at."))
    def get(self, request, slug):
        page = self.paginate_queryset(self.filter_queryset(_my_pledges(self)))
        return self.get_paginated_response(s.PledgeSerializer(page, many=True).data)


class PledgeDetailView(JSONAPIView):
    """One of my pledges, with its pickup code once paid, its payments and refunds."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.PledgeDetailSerializer, **errors(403, 404)}, tags=[TAG_CAMPAIGNS],
                   summary=_lazy("One of my pledges"))
    def get(self, request, slug, pk):
        return Response(s.PledgeDetailSerializer(_my_pledge(self, pk)).data)


class PledgePayView(JSONAPIView):
    """Pay my pledge from my wallet, or say I paid by transfer (an admin then confirms it)."""

    permission = Perm.VIEW

    @extend_schema(request=s.PledgePayInputSerializer, responses={200: s.PledgeDetailSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CAMPAIGNS], summary=_lazy("Pay my pledge"),
                   description=_lazy('"wallet" pays at once (409 insufficient_balance when short); "transfer" '
                                     "records a transfer for an admin to confirm. 409 not_payable when it is "
                                     "not waiting for payment, 409 campaign_closed after the deadline."))
    def post(self, request, slug, pk):
        data = _valid(s.PledgePayInputSerializer, request.data)
        pledge = _my_pledge(self, pk)
        if data["method"] == "wallet":
            services.pledge_pay_with_wallet(member=self.membership, pledge=pledge)
        else:
            services.pledge_report_transfer(member=self.membership, pledge=pledge, reference=data["reference"])
        return Response(s.PledgeDetailSerializer(_my_pledge(self, pk)).data)


class PledgeCancelView(JSONAPIView):
    """Withdraw my pledge before the deadline; what I paid comes back."""

    permission = Perm.VIEW

    @extend_schema(request=None, responses={200: s.PledgeDetailSerializer, **errors(403, 404, 409)},
                   tags=[TAG_CAMPAIGNS], summary=_lazy("Cancel my pledge"),
                   description=_lazy("Paid from the wallet: refunded to it at once; paid by transfer: an admin "
                                     "pays it back. 409 campaign_closed after the deadline."))
    def post(self, request, slug, pk):
        services.pledge_cancel(member=self.membership, pledge=_my_pledge(self, pk))
        return Response(s.PledgeDetailSerializer(_my_pledge(self, pk)).data)


# Campaigns in the console --------------------------------------------------------------------

class AdminCampaignListView(JSONAPIView):
    """GET: the console's campaigns, drafts included (a leader: those in view). POST: create a draft
    campaign with its reward tiers."""

    permission = Perm.MANAGE_CAMPAIGNS
    filter_backends = FILTER_BACKENDS
    filterset_class = filters.CampaignFilter
    queryset = Campaign.objects.none()

    @extend_schema(responses={200: s.AdminCampaignSerializer(many=True), **errors(400, 403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("Campaigns in the console"))
    def get(self, request, slug):
        campaigns = (_console_campaigns(self).select_related("created_by", "community")
                     .prefetch_related("tiers__price_steps").order_by("-created_at", "-id"))
        page = self.paginate_queryset(self.filter_queryset(campaigns))
        selectors.with_totals(page)
        return self.get_paginated_response(
            s.AdminCampaignSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=s.CampaignCreateSerializer, parameters=[KEY_PARAMETER],
                   responses={201: OpenApiResponse(s.AdminCampaignSerializer, description=_lazy("Campaign created")),
                              **errors(400, 403, 404, 422)},
                   tags=[TAG_CONSOLE], summary=_lazy("Create a campaign"),
                   description=_lazy("A draft: launch it with …/launch/. A leader's campaign is for their own "
                                     "branch. A reward campaign needs at least one tier to launch; a donation "
                                     "drive has none. Promises of interest, dividends, shares or repayment are "
                                     "refused (equity and debt crowdfunding are not offered). Errors name the "
                                     "field, e.g. tiers.0.amount."))
    def post(self, request, slug):
        return idempotent(request, f"campaign-create:{self.community.pk}", self._create)

    def _create(self):
        data = _valid(s.CampaignCreateSerializer, self.request.data)
        campaign = services.campaign_create(
            actor=self.membership, title=data["title"], goal=data["goal"], deadline=data["deadline"],
            kind=data["kind"], story=data["story"], funding_model=data["funding_model"],
            branch=self.branch_from_id(data["branch"]), tiers=_tier_specs(data["tiers"]))
        return _campaign_answer(self, campaign.pk, status_code=status.HTTP_201_CREATED)


class AdminCampaignDetailView(JSONAPIView):
    """GET: a campaign as the console sees it (drafts too). PATCH: change it (see the description)."""

    permission = Perm.MANAGE_CAMPAIGNS

    @extend_schema(responses={200: s.AdminCampaignSerializer, **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("A campaign in the console"))
    def get(self, request, slug, pk):
        return _campaign_answer(self, _campaign_in_view(self, pk).pk)

    @extend_schema(request=s.CampaignUpdateInputSerializer, responses={200: s.AdminCampaignSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Change a campaign"),
                   description=_lazy(
                       "Only the fields sent change; tiers, when sent, is the whole list (rows with an id "
                       "change that tier, rows without add one, tiers left out are removed). A draft changes "
                       "in everything. Once live, backers pledged on its terms: goal, deadline, kind, funding "
                       "model and branch are frozen, and so is every tier with backers except that its "
                       "quantity may rise (409 frozen, the reasons in fields); title and story may always "
                       "change. 409 campaign_cancelled for a cancelled campaign."))
    def patch(self, request, slug, pk):
        # Not partial: its fields are optional already, and a tier sent must be whole (with its defaults).
        data = _valid(s.CampaignUpdateInputSerializer, request.data)
        campaign = _campaign_in_scope(self, pk)
        tiers = _tier_specs(data.pop("tiers")) if "tiers" in data else None
        if "branch" in data:
            data["branch"] = self.branch_from_id(data["branch"])
        services.campaign_update(actor=self.membership, campaign=campaign, values=data, tiers=tiers)
        return _campaign_answer(self, pk)


class AdminCampaignLaunchView(JSONAPIView):
    """Launch a draft: members can back it until the deadline."""

    permission = Perm.MANAGE_CAMPAIGNS

    @extend_schema(request=None, responses={200: s.AdminCampaignSerializer, **errors(403, 404, 409)},
                   tags=[TAG_CONSOLE], summary=_lazy("Launch a campaign"),
                   description=_lazy("409 not_draft when it was launched already; 409 deadline_passed; 409 "
                                     "no_tiers for a reward campaign without tiers."))
    def post(self, request, slug, pk):
        services.campaign_launch(actor=self.membership, campaign=_campaign_in_scope(self, pk))
        return _campaign_answer(self, pk)


class AdminCampaignCancelView(JSONAPIView):
    """Cancel a draft or live campaign: every pledge is released and what was paid goes back."""

    permission = Perm.MANAGE_CAMPAIGNS

    @extend_schema(request=s.CampaignCancelSerializer, responses={200: s.AdminCampaignSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Cancel a campaign"),
                   description=_lazy("409 not_cancellable once it has reached its deadline."))
    def post(self, request, slug, pk):
        data = _valid(s.CampaignCancelSerializer, request.data)
        services.campaign_cancel(actor=self.membership, campaign=_campaign_in_scope(self, pk), reason=data["reason"])
        return _campaign_answer(self, pk)


class AdminCampaignUpdatePostView(JSONAPIView):
    """Post news to a campaign's page; every backer is told."""

    permission = Perm.MANAGE_CAMPAIGNS

    @extend_schema(request=s.UpdateInputSerializer,
                   responses={201: s.CampaignUpdateSerializer, **errors(400, 403, 404, 409)},
                   tags=[TAG_CONSOLE], summary=_lazy("Post a campaign update"),
                   description=_lazy("409 not_live for a draft or a cancelled campaign."))
    def post(self, request, slug, pk):
        data = _valid(s.UpdateInputSerializer, request.data)
        update = services.update_post(actor=self.membership, campaign=_campaign_in_scope(self, pk),
                                      title=data["title"], body=data["body"])
        update = CampaignUpdate.objects.select_related("author").get(pk=update.pk)
        return Response(s.CampaignUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


class AdminCampaignPledgeListView(JSONAPIView):
    """A campaign's pledges (a leader: their branch's members and pickup points), newest first."""

    permission = Perm.MANAGE_CAMPAIGNS
    filter_backends = FILTER_BACKENDS
    filterset_class = filters.AdminPledgeFilter
    queryset = Pledge.objects.none()

    @extend_schema(responses={200: s.AdminPledgeSerializer(many=True), **errors(400, 403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("A campaign's pledges"),
                   description=_lazy("Backers' names whether anonymous or not (anonymity hides them from other "
                                     "members). transfer_reported=true lists the transfers to confirm."))
    def get(self, request, slug, pk):
        campaign = _campaign_in_view(self, pk)
        pledges = _console_pledges(self).filter(campaign=campaign).order_by("-created_at", "-id")
        page = self.paginate_queryset(self.filter_queryset(pledges))
        return self.get_paginated_response(s.AdminPledgeSerializer(page, many=True).data)


class AdminPledgesMarkPaidView(JSONAPIView):
    """Confirm transfers or cash received for pledges, one or many (admins)."""

    permission = Perm.MANAGE_ORDERS

    @extend_schema(request=s.PledgesMarkPaidInputSerializer, responses={200: s.PledgesMarkPaidResultSerializer,
                   **errors(400, 403, 404)}, tags=[TAG_CONSOLE], summary=_lazy("Mark pledges paid"),
                   description=_lazy("Money that arrives for a pledge no longer due (cancelled, expired, the "
                                     "campaign over) is recorded and owed back to the member."))
    def post(self, request, slug):
        data = _valid(s.PledgesMarkPaidInputSerializer, request.data)
        ids = set(data["pledges"])
        pledges = _all_or_404(self.community.pledges, ids, field="pledges", code="pledge_not_found",
                              message=_("Some of these pledges do not exist."))
        marked = {p.pk for p in services.pledges_mark_received(actor=self.membership, pledges=pledges,
                                                               reference=data["reference"])}
        result = {"marked": sorted(marked), "skipped": sorted(ids - marked)}
        return Response(s.PledgesMarkPaidResultSerializer(result).data)


class AdminPledgeDeclineTransferView(JSONAPIView):
    """The transfer a member reported for this pledge did not arrive (admins): the member is told and,
    while the campaign is live, gets the payment window again."""

    permission = Perm.MANAGE_ORDERS

    @extend_schema(request=s.PledgeDeclineInputSerializer, responses={200: s.AdminPledgeSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Decline a reported transfer"),
                   description=_lazy("409 no_report when no transfer waits for this pledge."))
    def post(self, request, slug, pk):
        data = _valid(s.PledgeDeclineInputSerializer, request.data)
        services.pledge_transfer_decline(actor=self.membership, pledge=_console_pledge(self, pk), note=data["note"])
        return Response(s.AdminPledgeSerializer(_console_pledge(self, pk)).data)


class AdminCampaignRewardListView(JSONAPIView):
    """The rewards of a succeeded campaign per tier and pickup point (or shipping): units, handed out."""

    permission = Perm.MANAGE_CAMPAIGNS
    pagination_class = None

    @extend_schema(responses={200: s.RewardRowSerializer(many=True), **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Rewards to hand out"))
    def get(self, request, slug, pk):
        campaign = _campaign_in_view(self, pk)
        return Response(s.RewardRowSerializer(selectors.rewards_to_hand_out(campaign), many=True).data)


class AdminCampaignHandOutView(JSONAPIView):
    """Hand a reward over at the pickup point, found by the backer's 6-digit code."""

    permission = Perm.CONFIRM_PICKUP

    @extend_schema(request=s.HandOutInputSerializer, responses={200: s.AdminPledgeSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Hand out a reward"),
                   description=_lazy("404 pickup_not_found for a wrong code (or one of another branch's pickup "
                                     "point); 409 already_picked_up (the message says when); 409 not_collected "
                                     "before the campaign succeeded; 409 not_pickup for a reward shipped."))
    def post(self, request, slug, pk):
        data = _valid(s.HandOutInputSerializer, request.data)
        campaign = _campaign_in_view(self, pk)
        pledge = services.reward_find(actor=self.membership, campaign=campaign, code=data["code"])
        services.reward_hand_out(actor=self.membership, pledge=pledge, code=data["code"])
        found = self.community.pledges.select_related("member", "tier", "pickup_point").annotate(
            transfer_reported=services.transfer_waiting()).get(pk=pledge.pk)
        return Response(s.AdminPledgeSerializer(found).data)


class AdminPledgeShipView(JSONAPIView):
    """A reward of a succeeded campaign left with the carrier; the backer is told the tracking number."""

    permission = Perm.MANAGE_CAMPAIGNS

    @extend_schema(request=s.RewardShipInputSerializer, responses={200: s.AdminPledgeSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Ship a reward"),
                   description=_lazy("409 not_collected before the campaign succeeded; 409 not_shipping for a "
                                     "reward picked up."))
    def post(self, request, slug, pk):
        data = _valid(s.RewardShipInputSerializer, request.data)
        services.reward_ship(actor=self.membership, pledge=_console_pledge(self, pk), tracking=data["tracking"])
        return Response(s.AdminPledgeSerializer(_console_pledge(self, pk)).data)
