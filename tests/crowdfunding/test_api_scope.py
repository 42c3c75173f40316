"""Who may reach which campaign through the API (DESIGN.md, Tenancy and roles).

A member sees the campaigns aimed at everyone or at their branch, and only their own pledges; a
leader's console holds the campaigns for the whole community, their branch's and their own, and
changes only their own; money confirmations are the admins'. The walks below try every campaigns
API route (a new route must join them): as the leader of branch West on East's campaigns and
pledges, as a member of another community, and as a plain member on the console's routes. Out of
scope answers 404 (as another community's rows do), a missing role 403; nothing of East is read and
nothing changes.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditLog, IdempotentRequest
from crowdfunding import services
from crowdfunding.api import urls as campaign_urls
from crowdfunding.api.collection_urls import urlpatterns as collection_patterns
from crowdfunding.models import Campaign, CampaignUpdate, Pledge, RewardTier
from orders.models import PickupPoint
from payments import services as payments_services
from payments.models import Payment, WalletEntry
from tests.api import ERROR_KEYS, assert_error
from tests.branches import fresh, make_branch
from tests.crowdfunding.api_fixtures import day_ahead
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

EAST_SECRET = "east-secret"  # in the names of East's buyer, campaigns, update and shipping address


def _campaign(actor, title, *, branch=None, launch=True, tiers=None):
    tiers = tiers if tiers is not None else [services.TierSpec(title="Box", amount="50.00", quantity_limit=20)]
    campaign = services.campaign_create(actor=actor, title=title, goal="500.00", deadline=day_ahead(actor.community),
                                        branch=branch, tiers=tiers)
    return services.campaign_launch(actor=actor, campaign=campaign) if launch else campaign


def _pledge(member, campaign, key, *, tier=None, point=None, pay=True, **kwargs):
    tier = tier or campaign.tiers.order_by("pk").first()
    pledge, _created = services.pledge_place(member=member, campaign=campaign, idempotency_key=key, tier_id=tier.pk,
                                             pickup_point_id=point.pk if point else None, **kwargs)
    if pay:
        services.pledge_pay_with_wallet(member=member, pledge=pledge)
    return Pledge.objects.get(pk=pledge.pk)


@pytest.fixture
def world():
    """One community with branches East and West, each with a leader, a backer and a pickup point.

    East has: the owner's campaign aimed at East (a paid pledge, an update), East's leader's own
    campaign (a pledge with a transfer reported) and draft, the owner's draft aimed at East. The
    owner's whole-community campaign has East's pledges (picked up at East's point, and shipped)
    and one of West's.
    """
    community = CommunityFactory(name="Sunny Garden")
    owner = fresh(MembershipFactory(community=community, role="owner", user=UserFactory(display_name="Owner")))
    admin = fresh(MembershipFactory(community=community, role="admin", user=UserFactory(display_name="Admin")))
    east_lead = MembershipFactory(community=community, role="leader", user=UserFactory(display_name="East lead"))
    west_lead = MembershipFactory(community=community, role="leader", user=UserFactory(display_name="West lead"))
    east_buyer = MembershipFactory(community=community, user=UserFactory(display_name="east-secret-buyer"))
    west_buyer = MembershipFactory(community=community, user=UserFactory(display_name="West buyer"))
    plain = fresh(MembershipFactory(community=community, user=UserFactory(display_name="Plain member")))
    east_point = PickupPoint.objects.create(community=community, name="East gate", address="East road 1")
    west_point = PickupPoint.objects.create(community=community, name="West gate", address="West road 9")
    east = make_branch(owner, "East", leader=east_lead, members=[east_buyer], points=[east_point])
    west = make_branch(owner, "West", leader=west_lead, members=[west_buyer], points=[west_point])
    east_lead, west_lead, east_buyer, west_buyer = map(fresh, (east_lead, west_lead, east_buyer, west_buyer))
    for buyer in (east_buyer, west_buyer):
        payments_services.wallet_top_up(actor=owner, member_user=buyer.user, amount=Decimal("1000.00"))

    aimed_east = _campaign(owner, "east-secret-owner-campaign", branch=east)
    whole = _campaign(owner, "Whole community campaign", tiers=[
        services.TierSpec(title="Box", amount="50.00", quantity_limit=20),
        services.TierSpec(title="Tin", amount="80.00", fulfilment="shipping")])
    east_own = _campaign(east_lead, "east-secret-leader-campaign")
    east_draft = _campaign(east_lead, "east-secret-draft", launch=False)
    owner_draft = _campaign(owner, "east-secret-owner-draft", branch=east, launch=False)

    aimed_pledge = _pledge(east_buyer, aimed_east, "e1", point=east_point, note="east-secret-note")
    services.update_post(actor=owner, campaign=aimed_east, title="east-secret-update", body="Baking")
    whole_east = _pledge(east_buyer, whole, "e2", point=east_point)
    tin = whole.tiers.get(title="Tin")
    whole_shipped = _pledge(east_buyer, whole, "e3", tier=tin, shipping_address="east-secret-address")
    own_pledge = _pledge(east_buyer, east_own, "e4", point=east_point, pay=False)
    services.pledge_report_transfer(member=east_buyer, pledge=own_pledge, reference="east-secret-ref")
    whole_west = _pledge(west_buyer, whole, "w1", point=west_point)

    return {
        "community": community, "owner": owner, "admin": admin, "east": east, "west": west, "plain": plain,
        "east_lead": east_lead, "west_lead": west_lead, "east_buyer": east_buyer, "west_buyer": west_buyer,
        "east_point": east_point, "west_point": west_point, "aimed_east": aimed_east, "whole": whole,
        "east_own": east_own, "east_draft": east_draft, "owner_draft": owner_draft,
        "east_pledges": [aimed_pledge, whole_east, whole_shipped, Pledge.objects.get(pk=own_pledge.pk)],
        "whole_east": whole_east, "whole_west": whole_west,
    }


def east_campaigns(world):
    return [world[k] for k in ("aimed_east", "east_own", "east_draft", "owner_draft")]


def snapshot(community):
    return (
        sorted(Campaign.objects.filter(community=community).values_list(
            "id", "status", "title", "story", "goal", "deadline", "branch_id", "funding_model", "kind")),
        sorted(RewardTier.objects.filter(community=community).values_list(
            "id", "title", "amount", "quantity_limit", "quantity_taken", "fulfilment")),
        sorted(Pledge.objects.filter(community=community).values_list(
            "id", "status", "amount", "tracking", "handed_out_at", "expires_at", "cancelled_at")),
        sorted(Payment.objects.filter(community_id=community.pk).values_list("id", "status")),
        CampaignUpdate.objects.filter(community=community).count(),
        WalletEntry.objects.filter(community_id=community.pk).count(),
        AuditLog.objects.filter(community=community).count(),
        IdempotentRequest.objects.count(),
    )


def route(name, slug, pk=None):
    return reverse(name, kwargs={"slug": slug, **({"pk": pk} if pk is not None else {})})


def api_routes():
    """The campaigns API's route names (the split-bill collections have their own tests)."""
    collections = {p.name for p in collection_patterns}
    return {p.name for p in campaign_urls.urlpatterns if getattr(p, "name", None)} - collections


ROUTES = {
    "api-campaigns", "api-campaign", "api-campaign-pledges", "api-campaign-updates", "api-pledges", "api-pledge",
    "api-pledge-pay", "api-pledge-cancel", "api-admin-campaigns", "api-admin-campaign", "api-admin-campaign-launch",
    "api-admin-campaign-cancel", "api-admin-campaign-updates", "api-admin-campaign-pledges",
    "api-admin-pledges-mark-paid", "api-admin-pledge-decline-transfer", "api-admin-campaign-rewards",
    "api-admin-campaign-hand-out", "api-admin-pledge-ship",
}
LISTS = {"api-campaigns", "api-pledges", "api-admin-campaigns"}  # answer the caller's own rows


def calls(world, slug, *, campaigns, pledges, codes=()):
    """Every route tried on these campaigns and pledges: (route name, method, path, body)."""
    east = world["east"].pk
    hostile_campaign = {"title": "pwned", "goal": "1.00", "deadline": day_ahead(world["community"], 3),
                        "branch": east, "tiers": [{"title": "pwned", "amount": "1.00"}]}
    result = [
        ("api-campaigns", "get", route("api-campaigns", slug), None),
        ("api-pledges", "get", route("api-pledges", slug), None),
        ("api-admin-campaigns", "get", route("api-admin-campaigns", slug), None),
        ("api-admin-campaigns", "post", route("api-admin-campaigns", slug), hostile_campaign),
        ("api-admin-pledges-mark-paid", "post", route("api-admin-pledges-mark-paid", slug),
         {"pledges": [p.pk for p in pledges]}),
    ]
    for campaign in campaigns:
        tier = campaign.tiers.order_by("pk").first()
        result += [
            ("api-campaign", "get", route("api-campaign", slug, campaign.pk), None),
            ("api-campaign-pledges", "post", route("api-campaign-pledges", slug, campaign.pk),
             {"tier": tier.pk, "pickup_point": world["east_point"].pk}),
            ("api-campaign-updates", "get", route("api-campaign-updates", slug, campaign.pk), None),
            ("api-admin-campaign", "get", route("api-admin-campaign", slug, campaign.pk), None),
            ("api-admin-campaign", "patch", route("api-admin-campaign", slug, campaign.pk),
             {"title": "pwned", "story": "pwned", "branch": world["west"].pk,
              "tiers": [{"id": tier.pk, "title": "pwned", "amount": "1.00"}]}),
            ("api-admin-campaign-launch", "post", route("api-admin-campaign-launch", slug, campaign.pk), {}),
            ("api-admin-campaign-cancel", "post", route("api-admin-campaign-cancel", slug, campaign.pk),
             {"reason": "pwned"}),
            ("api-admin-campaign-updates", "post", route("api-admin-campaign-updates", slug, campaign.pk),
             {"title": "pwned", "body": "pwned"}),
            ("api-admin-campaign-pledges", "get", route("api-admin-campaign-pledges", slug, campaign.pk), None),
            ("api-admin-campaign-rewards", "get", route("api-admin-campaign-rewards", slug, campaign.pk), None),
        ]
        for code in codes or ("123456",):
            result.append(("api-admin-campaign-hand-out", "post",
                           route("api-admin-campaign-hand-out", slug, campaign.pk), {"code": code}))
    for pledge in pledges:
        result += [
            ("api-pledge", "get", route("api-pledge", slug, pledge.pk), None),
            ("api-pledge-pay", "post", route("api-pledge-pay", slug, pledge.pk), {"method": "wallet"}),
            ("api-pledge-cancel", "post", route("api-pledge-cancel", slug, pledge.pk), {}),
            ("api-admin-pledge-decline-transfer", "post", route("api-admin-pledge-decline-transfer", slug, pledge.pk),
             {"note": "pwned"}),
            ("api-admin-pledge-ship", "post", route("api-admin-pledge-ship", slug, pledge.pk), {"tracking": "pwned"}),
        ]
    return result


def send(client, method, path, body):
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, body, format="json", HTTP_IDEMPOTENCY_KEY="walk")


def assert_nothing_of_east(response, where):
    assert EAST_SECRET not in response.content.decode("utf-8", errors="replace"), (where, response.content)


def test_every_route_is_walked():
    assert api_routes() == ROUTES


def test_west_leader_walks_every_route_on_east_and_reads_or_changes_nothing(api_as, world):
    community, slug = world["community"], world["community"].slug
    client = api_as(world["west_lead"].user)
    before = snapshot(community)
    codes = [p.pickup_code for p in world["east_pledges"]]
    walk = calls(world, slug, campaigns=east_campaigns(world), pledges=world["east_pledges"], codes=codes)
    # The whole community's campaign is in West's view, not West's to change, and East's pledges on
    # it (their codes at West's desk) are not West's either.
    whole = world["whole"]
    walk += [c for c in calls(world, slug, campaigns=[whole], pledges=[], codes=[world["whole_east"].pickup_code])
             if c[0] not in LISTS and c[0] not in {"api-campaign", "api-campaign-updates", "api-admin-campaign-rewards",
                                                   "api-admin-campaign-pledges", "api-campaign-pledges"}
             and not (c[0] == "api-admin-campaign" and c[1] == "get")]
    assert {c[0] for c in walk} == ROUTES

    for name, method, path, body in walk:
        response = send(client, method, path, body)
        assert_nothing_of_east(response, (method, path))
        if name in LISTS and method == "get":
            assert response.status_code == 200, (path, response.content)
            continue
        assert 400 <= response.status_code < 500, (method, path, response.status_code, response.content)
        assert set(response.json()) == ERROR_KEYS
        if name == "api-admin-campaigns":
            assert response.json()["code"] == "branch_out_of_scope"
        elif name in {"api-admin-pledges-mark-paid", "api-admin-pledge-decline-transfer"}:
            assert response.status_code == 403  # money confirmations are the admins'
        else:
            assert response.status_code == 404, (method, path, response.content)

    east_ids = {c.pk for c in east_campaigns(world)}
    for name in ("api-campaigns", "api-admin-campaigns"):
        listed = {row["id"] for row in client.get(route(name, slug)).json()["results"]}
        assert not listed & east_ids and world["whole"].pk in listed
    # West's leader reads the pledges of their branch on the whole community's campaign, not East's.
    rows = client.get(route("api-admin-campaign-pledges", slug, whole.pk)).json()["results"]
    assert [row["id"] for row in rows] == [world["whole_west"].pk]
    for params in ({"pickup_point": world["east_point"].pk}, {"status": "paid"}, {"tier": whole.tiers.first().pk}):
        response = client.get(route("api-admin-campaign-pledges", slug, whole.pk), params)
        assert {row["id"] for row in response.json()["results"]} <= {world["whole_west"].pk}
        assert_nothing_of_east(response, params)
    assert snapshot(community) == before


def test_a_member_of_another_community_gets_404_everywhere(api_as, world):
    community = world["community"]
    elsewhere = CommunityFactory()
    stranger = fresh(MembershipFactory(community=elsewhere, role="owner"))
    client = api_as(stranger.user)
    campaigns = [*east_campaigns(world), world["whole"]]
    before = snapshot(community)

    # Under this community's address: not a member, so nothing exists.
    walk = calls(world, community.slug, campaigns=campaigns, pledges=world["east_pledges"])
    assert {c[0] for c in walk} == ROUTES
    for _name, method, path, body in walk:
        response = send(client, method, path, body)
        assert_error(response, 404)
        assert_nothing_of_east(response, (method, path))

    # Under their own community's address, with this community's ids: not theirs either.
    for name, method, path, body in calls(world, elsewhere.slug, campaigns=campaigns, pledges=world["east_pledges"]):
        response = send(client, method, path, body)
        assert_nothing_of_east(response, (method, path))
        if name in LISTS and method == "get":
            assert response.status_code == 200 and response.json()["results"] == []
        elif name == "api-admin-campaigns":
            assert_error(response, 400, fields=["branch"])
        else:
            assert_error(response, 404)
    assert snapshot(community) == before


def test_a_plain_member_gets_403_on_every_console_route(api_as, world):
    community = world["community"]
    client = api_as(world["plain"].user)
    before = snapshot(community)
    walk = [c for c in calls(world, community.slug, campaigns=[world["whole"]], pledges=[world["whole_west"]])
            if c[0].startswith("api-admin-")]
    assert {c[0] for c in walk} == {name for name in ROUTES if name.startswith("api-admin-")}
    for _name, method, path, body in walk:
        assert_error(send(client, method, path, body), 403)
    # Their own member routes answer; another member's pledge does not exist for them.
    assert client.get(route("api-campaigns", community.slug)).status_code == 200
    assert_error(client.get(route("api-pledge", community.slug, world["whole_west"].pk)), 404, "pledge_not_found")
    assert_error(send(client, "post", route("api-pledge-cancel", community.slug, world["whole_west"].pk), {}), 404)
    assert snapshot(community) == before


def test_east_leader_and_the_owner_act_where_they_may(api_as, world):
    slug = world["community"].slug
    east_lead = api_as(world["east_lead"].user)
    listed = {row["id"] for row in east_lead.get(route("api-admin-campaigns", slug)).json()["results"]}
    assert listed == {c.pk for c in east_campaigns(world)} | {world["whole"].pk}
    # Their own campaign: theirs to change. The owner's aimed at East: theirs to read, not to change.
    own = east_lead.patch(route("api-admin-campaign", slug, world["east_own"].pk), {"story": "Fresh"}, format="json")
    assert own.status_code == 200 and own.json()["story"] == "Fresh"
    assert_error(east_lead.patch(route("api-admin-campaign", slug, world["aimed_east"].pk), {"story": "x"},
                                 format="json"), 404)
    rows = east_lead.get(route("api-admin-campaign-pledges", slug, world["whole"].pk)).json()["results"]
    assert {row["id"] for row in rows} == {world["whole_east"].pk, world["east_pledges"][2].pk}
    launched = send(east_lead, "post", route("api-admin-campaign-launch", slug, world["east_draft"].pk), {})
    assert launched.status_code == 200 and launched.json()["status"] == "live"
    # A member of East sees East's campaigns; West's member does not.
    assert world["aimed_east"].pk in {row["id"] for row in api_as(world["east_buyer"].user).get(
        route("api-campaigns", slug)).json()["results"]}
    assert_error(api_as(world["west_buyer"].user).get(route("api-campaign", slug, world["aimed_east"].pk)), 404)
    # The owner reads every pledge, anonymous or not, and confirms the transfer reported.
    owner = api_as(world["owner"].user)
    own_pledge = world["east_pledges"][3]
    marked = send(owner, "post", route("api-admin-pledges-mark-paid", slug), {"pledges": [own_pledge.pk]})
    assert marked.status_code == 200 and marked.json()["marked"] == [own_pledge.pk]
