"""REST API for campaigns (/api/v1/communities/<slug>/campaigns/, pledges/, admin/campaigns/...)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.models import IdempotentRequest
from core.sweeps import sweep_run
from crowdfunding.models import Campaign, CampaignUpdate, Pledge, RewardTier
from payments.models import Wallet
from tests.api import assert_error
from tests.crowdfunding.api_fixtures import admin_url, campaign_body, campaigns_url, day_ahead, post

pytestmark = pytest.mark.django_db


def balance(membership):
    wallet = Wallet.objects.filter(community=membership.community, member=membership.user).first()
    return wallet.balance if wallet else Decimal("0")


def settle(campaign_id):
    campaign = Campaign.objects.get(pk=campaign_id)
    return sweep_run("crowdfunding.settle_campaigns", now=campaign.deadline + timedelta(seconds=1))


def test_a_campaign_from_creation_to_the_reward_handed_out(api_as, owner, member, pickup_point, top_up):
    slug = owner.community.slug
    admin = api_as(owner.user)

    created = post(admin, admin_url(slug, "campaigns"), campaign_body(owner.community), key="create-1")
    assert created.status_code == 201, created.content
    campaign = created.json()
    assert campaign["status"] == "draft" and campaign["created_by"]["id"] == owner.user_id
    assert [t["title"] for t in campaign["tiers"]] == ["Box of mooncakes", "Tin sent home"]
    assert campaign["tiers"][0]["price_steps"] == [{"min_quantity": 4, "price": "45.00"}]
    # A retry of the creation (same key, same body) creates nothing and answers the same.
    again = post(admin, admin_url(slug, "campaigns"), campaign_body(owner.community), key="create-1")
    assert again.status_code == 201 and again.json()["id"] == campaign["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Campaign.objects.count() == 1
    other = post(admin, admin_url(slug, "campaigns"), campaign_body(owner.community, goal="200.00"), key="create-1")
    assert_error(other, 422, "idempotency_key_reused")

    launched = post(admin, admin_url(slug, "campaigns", campaign["id"], "launch"))
    assert launched.status_code == 200 and launched.json()["status"] == "live"
    box = campaign["tiers"][0]["id"]

    top_up(member, "150.00")
    client = api_as(member.user)
    body = {"tier": box, "quantity": 2, "pickup_point": pickup_point.pk, "anonymous": True, "note": "No nuts"}
    first = post(client, campaigns_url(slug, campaign["id"], "pledges"), body, key="pledge-1")
    assert first.status_code == 201, first.content
    pledge = first.json()
    assert pledge["status"] == "pending_payment" and pledge["amount"] == "100.00"
    assert pledge["pickup_code"] is None  # not before it is paid
    assert pledge["pickup_point"]["id"] == pickup_point.pk

    retry = post(client, campaigns_url(slug, campaign["id"], "pledges"), body, key="pledge-1")
    assert retry.status_code == 200 and retry.json()["id"] == pledge["id"]
    changed = post(client, campaigns_url(slug, campaign["id"], "pledges"), {**body, "quantity": 3}, key="pledge-1")
    assert_error(changed, 422, "idempotency_key_reused")
    assert Pledge.objects.count() == 1 and RewardTier.objects.get(pk=box).quantity_taken == 2

    paid = post(client, f"/api/v1/communities/{slug}/pledges/{pledge['id']}/pay/", {"method": "wallet"})
    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "paid" and len(paid.json()["pickup_code"]) == 6
    assert balance(member) == Decimal("50.00")

    page = client.get(campaigns_url(slug, campaign["id"])).json()
    assert page["totals"]["raised"] == "100.00" and page["totals"]["backers"] == 1
    assert page["totals"]["percent"] == 100 and page["totals"]["goal"] == "100.00"
    assert 6 <= page["totals"]["days_left"] <= 8
    assert page["recent_backers"] == [{"name": None, "anonymous": True, "tier": "Box of mooncakes",
                                       "paid_at": page["recent_backers"][0]["paid_at"]}]
    assert member.user.display_name not in str(page)
    tier = page["tiers"][0]
    assert tier["remaining"] == 8 and tier["current_price"] == "50.00" and tier["quantity_limit"] == 10

    settle(campaign["id"])
    mine = client.get(f"/api/v1/communities/{slug}/pledges/{pledge['id']}/").json()
    assert mine["status"] == "collected" and mine["campaign"]["status"] == "succeeded"
    code = mine["pickup_code"]

    rewards = admin.get(admin_url(slug, "campaigns", campaign["id"], "rewards")).json()
    assert rewards == [{"tier": box, "tier_title": "Box of mooncakes", "fulfilment": "pickup",
                        "pickup_point": pickup_point.pk, "pickup_point_name": pickup_point.name, "units": 2,
                        "pledges": 1, "handed_out": 0}]
    handed = post(admin, admin_url(slug, "campaigns", campaign["id"], "rewards", "hand-out"), {"code": code})
    assert handed.status_code == 200, handed.content
    assert handed.json()["status"] == "handed_out" and handed.json()["member"]["id"] == member.user_id
    assert "pickup_code" not in handed.json()
    twice = post(admin, admin_url(slug, "campaigns", campaign["id"], "rewards", "hand-out"), {"code": code})
    assert_error(twice, 409, "already_picked_up")
    rewards = admin.get(admin_url(slug, "campaigns", campaign["id"], "rewards")).json()
    assert rewards[0]["handed_out"] == 2


def test_a_wrong_pickup_code_hands_nothing_out(api_as, owner, member, make_campaign, pledge, top_up, pickup_point):
    campaign = make_campaign(goal="50.00")
    top_up(member, "50.00")
    mine = pledge(member, campaign)
    api_as(member.user).post(f"/api/v1/communities/{campaign.community.slug}/pledges/{mine.pk}/pay/",
                             {"method": "wallet"}, format="json")
    settle(campaign.pk)
    admin = api_as(owner.user)
    path = admin_url(campaign.community.slug, "campaigns", campaign.pk, "rewards", "hand-out")
    wrong = "000000" if mine.pickup_code != "000000" else "111111"
    assert_error(post(admin, path, {"code": wrong}), 404, "pickup_not_found")
    assert_error(post(admin, path, {"code": "１２３４５６"}), 400, fields=["code"])
    assert Pledge.objects.get(pk=mine.pk).status == Pledge.Status.COLLECTED


def test_a_transfer_is_reported_declined_then_confirmed_by_an_admin(api_as, owner, admin_member, leader, member,
                                                                  make_campaign, pickup_point):
    campaign = make_campaign()
    slug = campaign.community.slug
    client = api_as(member.user)
    placed = post(client, campaigns_url(slug, campaign.pk, "pledges"),
                  {"tier": campaign.tiers.get().pk, "pickup_point": pickup_point.pk}, key="t1").json()
    reported = post(client, f"/api/v1/communities/{slug}/pledges/{placed['id']}/pay/",
                    {"method": "transfer", "reference": "8841"})
    assert reported.status_code == 200 and reported.json()["transfer_reported"] is True
    assert reported.json()["payments"][0]["reference"] == "8841"

    admin = api_as(admin_member.user)
    waiting = admin.get(admin_url(slug, "campaigns", campaign.pk, "pledges"), {"transfer_reported": "true"}).json()
    assert [p["id"] for p in waiting["results"]] == [placed["id"]]
    assert waiting["results"][0]["member"]["display_name"] == member.user.display_name
    assert admin.get(admin_url(slug, "campaigns", campaign.pk, "pledges"),
                     {"transfer_reported": "false"}).json()["results"] == []

    # Money confirmations are the admins': a leader may not.
    assert_error(post(api_as(leader.user), admin_url(slug, "pledges", "mark-paid"), {"pledges": [placed["id"]]}), 403)
    declined = post(admin, admin_url(slug, "pledges", placed["id"], "decline-transfer"), {"note": "Not in the account"})
    assert declined.status_code == 200 and declined.json()["transfer_reported"] is False
    assert declined.json()["status"] == "pending_payment"
    assert_error(post(admin, admin_url(slug, "pledges", placed["id"], "decline-transfer"), {}), 409, "no_report")

    post(client, f"/api/v1/communities/{slug}/pledges/{placed['id']}/pay/", {"method": "transfer"})
    marked = post(admin, admin_url(slug, "pledges", "mark-paid"), {"pledges": [placed["id"]], "reference": "bank"})
    assert marked.status_code == 200 and marked.json() == {"marked": [placed["id"]], "skipped": []}
    again = post(admin, admin_url(slug, "pledges", "mark-paid"), {"pledges": [placed["id"]]})
    assert again.json() == {"marked": [], "skipped": [placed["id"]]}
    assert Pledge.objects.get(pk=placed["id"]).status == Pledge.Status.PAID
    assert_error(post(admin, admin_url(slug, "pledges", "mark-paid"), {"pledges": [placed["id"], 999999]}), 404,
                 "pledge_not_found", fields=["pledges"])


def test_a_gift_without_a_reward_and_a_shipped_reward(api_as, owner, member, make_campaign, top_up, pickup_point):
    campaign = make_campaign(tiers=[], kind=Campaign.Kind.DONATION)
    slug = campaign.community.slug
    client = api_as(member.user)
    top_up(member, "500.00")
    gift = post(client, campaigns_url(slug, campaign.pk, "pledges"), {"amount": "30.00", "note": "加油"}, key="g")
    assert gift.status_code == 201 and gift.json()["amount"] == "30.00" and gift.json()["tier"] is None

    shop = make_campaign(goal="40.00", title="Tea from the hills")
    admin = api_as(owner.user)
    box = shop.tiers.get()
    kept = {"id": box.pk, "title": box.title, "amount": "50.00", "quantity_limit": 10}
    tin = {"title": "Tin of tea", "amount": "40.00", "fulfilment": "shipping"}
    response = admin.patch(admin_url(slug, "campaigns", shop.pk), {"tiers": [kept, tin]}, format="json")
    assert response.status_code == 200, response.content  # a live campaign may gain a tier
    tier = response.json()["tiers"][1]["id"]
    missing = post(client, campaigns_url(slug, shop.pk, "pledges"), {"tier": tier}, key="s0")
    assert_error(missing, 400, fields=["shipping_address"])
    shipped = post(client, campaigns_url(slug, shop.pk, "pledges"),
                   {"tier": tier, "shipping_address": "3-2-1502 Sunny Garden"}, key="s1").json()
    post(client, f"/api/v1/communities/{slug}/pledges/{shipped['id']}/pay/", {"method": "wallet"})
    assert_error(post(admin, admin_url(slug, "pledges", shipped["id"], "ship"), {"tracking": "SF1"}), 409,
                 "not_collected")
    sweep_run("crowdfunding.settle_campaigns", now=max(campaign.deadline, shop.deadline) + timedelta(seconds=1))
    shipped_now = post(admin, admin_url(slug, "pledges", shipped["id"], "ship"), {"tracking": "SF1234"})
    assert shipped_now.status_code == 200 and shipped_now.json()["status"] == "shipped"
    mine = client.get(f"/api/v1/communities/{slug}/pledges/{shipped['id']}/").json()
    assert mine["tracking"] == "SF1234" and mine["pickup_code"] is None


def test_my_pledges_filter_and_cancel(api_as, member, make_campaign, pledge, top_up, pickup_point):
    first, second = make_campaign(), make_campaign(title="Spring rolls")
    slug = first.community.slug
    top_up(member, "100.00")
    paid = pledge(member, first)
    client = api_as(member.user)
    post(client, f"/api/v1/communities/{slug}/pledges/{paid.pk}/pay/", {"method": "wallet"})
    unpaid = pledge(member, second)

    def ids(**params):
        response = client.get(f"/api/v1/communities/{slug}/pledges/", params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [unpaid.pk, paid.pk]
    assert ids(status="paid") == [paid.pk]
    assert ids(campaign=second.pk) == [unpaid.pk]
    assert ids(updated_since="2999-01-01T00:00:00Z") == []
    assert ids(ordering="updated_at") == [paid.pk, unpaid.pk]
    assert_error(client.get(f"/api/v1/communities/{slug}/pledges/", {"status": "lost"}), 400, fields=["status"])
    assert_error(client.get(f"/api/v1/communities/{slug}/pledges/", {"campaign": "１２"}), 400, fields=["campaign"])

    cancelled = post(client, f"/api/v1/communities/{slug}/pledges/{paid.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "refunded"
    assert cancelled.json()["refunds"][0]["amount"] == "50.00"
    assert balance(member) == Decimal("100.00")
    assert_error(post(client, f"/api/v1/communities/{slug}/pledges/{paid.pk}/cancel/"), 409, "not_cancellable")


def test_updates_reach_the_campaigns_page(api_as, owner, member, make_campaign, pledge, pickup_point):
    campaign = make_campaign()
    slug = campaign.community.slug
    pledge(member, campaign)
    admin = api_as(owner.user)
    posted = post(admin, admin_url(slug, "campaigns", campaign.pk, "updates"),
                  {"title": "In the oven", "body": "The first batch is baking."})
    assert posted.status_code == 201 and posted.json()["author"] == owner.user.display_name
    client = api_as(member.user)
    listed = client.get(campaigns_url(slug, campaign.pk, "updates")).json()
    assert [u["title"] for u in listed["results"]] == ["In the oven"]
    assert client.get(campaigns_url(slug, campaign.pk)).json()["updates"][0]["body"] == "The first batch is baking."
    assert_error(post(admin, admin_url(slug, "campaigns", campaign.pk, "updates"), {"title": "x"}), 400,
                 fields=["body"])
    draft = make_campaign(launch=False)
    assert_error(post(admin, admin_url(slug, "campaigns", draft.pk, "updates"), {"title": "x", "body": "y"}), 409,
                 "not_live")
    assert CampaignUpdate.objects.count() == 1


def test_members_see_live_campaigns_only_and_the_console_sees_drafts(api_as, owner, member, make_campaign, pickup_point):
    live = make_campaign()
    draft = make_campaign(launch=False, title="Not yet")
    slug = live.community.slug
    listed = api_as(member.user).get(campaigns_url(slug)).json()["results"]
    assert [c["id"] for c in listed] == [live.pk]
    assert listed[0]["totals"] == {"raised": "0.00", "backers": 0, "goal": "100.00", "percent": 0,
                                   "days_left": listed[0]["totals"]["days_left"]}
    assert_error(api_as(member.user).get(campaigns_url(slug, draft.pk)), 404, "campaign_not_found")
    console = api_as(owner.user).get(admin_url(slug, "campaigns"), {"status": "draft"}).json()["results"]
    assert [c["id"] for c in console] == [draft.pk]


def test_cancelling_a_live_campaign_refunds_its_backers(api_as, owner, member, make_campaign, pledge, top_up,
                                                        pickup_point):
    campaign = make_campaign()
    top_up(member, "50.00")
    paid = pledge(member, campaign)
    slug = campaign.community.slug
    post(api_as(member.user), f"/api/v1/communities/{slug}/pledges/{paid.pk}/pay/", {"method": "wallet"})
    response = post(api_as(owner.user), admin_url(slug, "campaigns", campaign.pk, "cancel"), {"reason": "Oven broke"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert Pledge.objects.get(pk=paid.pk).status == Pledge.Status.REFUNDED and balance(member) == Decimal("50.00")
    assert_error(post(api_as(owner.user), admin_url(slug, "campaigns", campaign.pk, "cancel")), 409,
                 "not_cancellable")


# Freeze rules ------------------------------------------------------------------------------------

def test_a_live_campaigns_terms_are_frozen_once_backed(api_as, owner, member, make_campaign, pledge, pickup_point):
    campaign = make_campaign(launch=False)
    slug = campaign.community.slug
    admin = api_as(owner.user)
    path = admin_url(slug, "campaigns", campaign.pk)
    assert admin.patch(path, {"goal": "150.00"}, format="json").json()["goal"] == "150.00"  # a draft: anything
    post(admin, admin_url(slug, "campaigns", campaign.pk, "launch"))
    campaign.refresh_from_db()
    backed = campaign.tiers.get()
    pledge(member, campaign)

    goal = admin.patch(path, {"goal": "90.00"}, format="json")
    assert_error(goal, 409, "frozen", fields=["goal"])
    later = admin.patch(path, {"deadline": day_ahead(campaign.community, 20)}, format="json")
    assert_error(later, 409, "frozen", fields=["deadline"])
    renamed = admin.patch(path, {"title": "Mooncakes, baked Friday"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["title"] == "Mooncakes, baked Friday"

    def tier(**changes):
        return {"id": backed.pk, "title": backed.title, "amount": "50.00", "quantity_limit": 10, **changes}

    cheaper = admin.patch(path, {"tiers": [tier(amount="40.00")]}, format="json")
    assert_error(cheaper, 409, "frozen", fields=["tiers.0"])
    fewer = admin.patch(path, {"tiers": [tier(quantity_limit=5)]}, format="json")
    assert_error(fewer, 409, "frozen", fields=["tiers.0.quantity_limit"])
    removed = admin.patch(path, {"tiers": [{"title": "Another", "amount": "10.00"}]}, format="json")
    assert_error(removed, 409, "frozen", fields=["tiers"])
    more = admin.patch(path, {"tiers": [tier(quantity_limit=20), {"title": "Half box", "amount": "25.00"}]},
                       format="json")
    assert more.status_code == 200, more.content
    assert [(t["title"], t["quantity_limit"], t["remaining"]) for t in more.json()["tiers"]] == [
        (backed.title, 20, 19), ("Half box", None, None)]
    campaign.refresh_from_db()
    assert campaign.goal == Decimal("150.00") and campaign.title == "Mooncakes, baked Friday"


# Bad input ---------------------------------------------------------------------------------------

def _state():
    return (Pledge.objects.count(), list(RewardTier.objects.values_list("quantity_taken", flat=True)),
            Campaign.objects.count(), IdempotentRequest.objects.count())


@pytest.mark.parametrize("change, status, field", [
    ({"quantity": "１２"}, 400, "quantity"),
    ({"quantity": "12.5"}, 400, "quantity"),
    ({"quantity": 0}, 400, "quantity"),
    ({"quantity": -3}, 400, "quantity"),
    ({"quantity": 100}, 400, "quantity"),
    ({"quantity": 2**40}, 400, "quantity"),
    ({"extra_support": "-1.00"}, 400, "extra_support"),
    ({"extra_support": "１０"}, 400, "extra_support"),
    ({"extra_support": "0.001"}, 400, "extra_support"),
    ({"extra_support": "99999999999"}, 400, "extra_support"),
    ({"note": "x" * 10000}, 400, "note"),
    ({"note": "nuts\x00please"}, 400, "note"),
    ({"shipping_address": "y" * 10000}, 400, "shipping_address"),
    ({"anonymous": "perhaps"}, 400, "anonymous"),
    ({"tier": "abc"}, 400, "tier"),
    ({"tier": 2**70}, 400, "tier"),
    ({"pickup_point": None}, 400, "pickup_point"),
    ({"pickup_point": "other"}, 400, "pickup_point"),
    ({"tier": "other"}, 400, "tier"),
    ({"tier": None, "amount": "0"}, 400, "amount"),
    ({"tier": None, "amount": "-5.00"}, 400, "amount"),
    ({"tier": None, "amount": "１２"}, 400, "amount"),
    ({"tier": None}, 400, "amount"),
    ({"tier": None, "amount": "5.00", "quantity": 2}, 400, "quantity"),
])
def test_bad_pledges_are_refused_and_store_nothing(api_as, member, make_campaign, pickup_point, change, status,
                                                    field):
    from tests.factories import CommunityFactory
    from orders.models import PickupPoint

    campaign = make_campaign()
    other_campaign = make_campaign(title="Other")
    elsewhere = PickupPoint.objects.create(community=CommunityFactory(), name="Far", address="Far away")
    body = {"tier": campaign.tiers.get().pk, "quantity": 1, "pickup_point": pickup_point.pk}
    body.update(change)
    if body.get("tier") == "other":
        body["tier"] = other_campaign.tiers.get().pk
    if body.get("pickup_point") == "other":
        body["pickup_point"] = elsewhere.pk
    before = _state()
    response = post(api_as(member.user), campaigns_url(campaign.community.slug, campaign.pk, "pledges"), body,
                    key="bad")
    assert_error(response, status, fields=[field])
    assert _state() == before


def test_bad_requests_never_answer_500(api_as, owner, member, make_campaign, pickup_point):
    campaign = make_campaign()
    slug = campaign.community.slug
    client = api_as(member.user)
    before = _state()
    path = campaigns_url(slug, campaign.pk, "pledges")
    body = {"tier": campaign.tiers.get().pk, "pickup_point": pickup_point.pk}
    assert_error(post(client, path, body), 400, "idempotency_key_required")
    assert_error(post(client, path, body, key="k" * 101), 400, "idempotency_key_required")
    assert_error(post(client, path, [body], key="list"), 400)
    assert_error(client.post(path, "not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="j"), 400)
    form = client.post(path, body, format="multipart", HTTP_IDEMPOTENCY_KEY="form")  # JSON only: nothing read
    assert_error(form, form.status_code)
    assert form.status_code in (400, 415)
    assert_error(client.get(campaigns_url(slug, 2**70)), 404)
    assert_error(client.get(f"/api/v1/communities/{slug}/pledges/{2**70}/"), 404)
    assert_error(post(client, f"/api/v1/communities/{slug}/pledges/1/pay/", {"method": "bitcoin"}), 400,
                 fields=["method"])
    assert _state() == before


@pytest.mark.parametrize("change, field", [
    ({"title": "t" * 10000}, "title"),
    ({"title": ""}, "title"),
    ({"title": "Ten percent annual interest guaranteed"}, "title"),
    ({"story": "s" * 30000}, "story"),
    ({"goal": "0"}, "goal"),
    ({"goal": "-100"}, "goal"),
    ({"goal": "１００"}, "goal"),
    ({"goal": "1e400"}, "goal"),
    ({"deadline": "2020-01-01"}, "deadline"),
    ({"deadline": "tomorrow"}, "deadline"),
    ({"kind": "equity"}, "kind"),
    ({"branch": "other"}, "branch"),
    ({"tiers": [{"title": "t", "amount": "10"}] * 21}, "tiers"),
    ({"tiers": [{"title": "Box", "amount": "0"}]}, "tiers.0.amount"),
    ({"tiers": [{"title": "Box", "amount": "10", "quantity_limit": 0}]}, "tiers.0.quantity_limit"),
    ({"tiers": [{"title": "Box", "amount": "10", "quantity_limit": "１２"}]}, "tiers.0.quantity_limit"),
    ({"tiers": [{"title": "Box", "amount": "10", "price_steps": [{"min_quantity": 3, "price": "12"}]}]},
     "tiers.0.price_steps.0.price"),
    ({"tiers": [{"title": "Box", "amount": "10", "fulfilment": "drone"}]}, "tiers.0.fulfilment"),
    ({"kind": "donation"}, "tiers"),
])
def test_bad_campaigns_are_refused_and_store_nothing(api_as, owner, change, field):
    from tests.factories import CommunityFactory

    if change.get("branch") == "other":
        change = {"branch": CommunityFactory(parent=None).pk}
    before = _state()
    response = post(api_as(owner.user), admin_url(owner.community.slug, "campaigns"),
                    campaign_body(owner.community, **change), key="bad-campaign")
    assert_error(response, 400, fields=[field])
    assert _state() == before


def test_bad_console_requests_are_refused_and_change_nothing(api_as, owner, member, make_campaign, pledge,
                                                             pickup_point):
    campaign = make_campaign()
    slug = campaign.community.slug
    mine = pledge(member, campaign)
    admin = api_as(owner.user)
    before = (_state(), list(Campaign.objects.values_list("title", "story", "goal", "status")),
              list(Pledge.objects.values_list("status", "tracking")), CampaignUpdate.objects.count())
    path = admin_url(slug, "campaigns", campaign.pk)
    for body, field in (({"title": "t\x00t"}, "title"), ({"story": "s" * 30000}, "story"),
                        ({"goal": "１"}, "goal"), ({"tiers": [{"title": "x"}]}, "tiers.0.amount"),
                        ({"tiers": "many"}, "tiers"), ({"branch": "east"}, "branch")):
        assert_error(admin.patch(path, body, format="json"), 400, fields=[field])
    for where, body, field in (
            (("campaigns", campaign.pk, "cancel"), {"reason": "r" * 10000}, "reason"),
            (("campaigns", campaign.pk, "updates"), {"title": "t", "body": "b" * 10000}, "body"),
            (("campaigns", campaign.pk, "updates"), {"title": "", "body": "b"}, "title"),
            (("campaigns", campaign.pk, "rewards", "hand-out"), {"code": "12345678901234567890123"}, "code"),
            (("pledges", "mark-paid"), {"pledges": []}, "pledges"),
            (("pledges", "mark-paid"), {"pledges": ["１２"]}, "pledges.0"),
            (("pledges", "mark-paid"), {"pledges": list(range(1, 502))}, "pledges"),
            (("pledges", "mark-paid"), {"pledges": [mine.pk], "reference": "r" * 1000}, "reference"),
            (("pledges", mine.pk, "decline-transfer"), {"note": "n" * 10000}, "note"),
            (("pledges", mine.pk, "ship"), {"tracking": "t" * 10000}, "tracking")):
        assert_error(post(admin, admin_url(slug, *where), body), 400, fields=[field])
    assert (_state(), list(Campaign.objects.values_list("title", "story", "goal", "status")),
            list(Pledge.objects.values_list("status", "tracking")), CampaignUpdate.objects.count()) == before
