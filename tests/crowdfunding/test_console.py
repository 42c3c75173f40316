"""The campaign console (众筹, desktop): the form with its reward tiers, launching and cancelling,
payments confirmed by admins, updates, the reward sheets and the hand-out box."""

import csv
import io
import zoneinfo
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Notification
from core.sweeps import sweep_run
from crowdfunding import services
from crowdfunding.models import Campaign, Pledge, RewardTier
from payments.models import Payment, Wallet

pytestmark = pytest.mark.django_db


def url(name, community, *args):
    return reverse(f"crowdfunding_console:{name}", args=[community.slug, *args])


def day(community, days=7):
    return (timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(community.timezone)) + timedelta(days=days)).date()


def form_data(community, *, tiers=(), **fields):
    """The campaign form as a browser posts it; ``tiers``: dicts of a tier row's fields."""
    data = {"kind": "reward", "title": "Mid-autumn mooncakes", "story": "Baked by Auntie Wang next door.",
            "goal": "1000.00", "deadline": day(community).isoformat(), "funding_model": "all_or_nothing",
            "tiers-TOTAL_FORMS": str(max(len(tiers), 1)), "tiers-INITIAL_FORMS": "0",
            "tiers-MIN_NUM_FORMS": "0", "tiers-MAX_NUM_FORMS": "20"}
    for index, row in enumerate(tiers):
        for key, value in {"fulfilment": "pickup", **row}.items():
            data[f"tiers-{index}-{key}"] = value
    data.update(fields)
    return data


def edit_data(campaign, **fields):
    """The edit form as the page shows it (each existing tier as a row), with ``fields`` changed."""
    data = {"kind": campaign.kind, "title": campaign.title, "story": campaign.story, "goal": str(campaign.goal),
            "deadline": services.deadline_day(campaign).isoformat(), "funding_model": campaign.funding_model,
            "branch": str(campaign.branch_id or "")}
    tiers = list(campaign.tiers.all())
    data.update({"tiers-TOTAL_FORMS": str(len(tiers)), "tiers-INITIAL_FORMS": str(len(tiers)),
                 "tiers-MIN_NUM_FORMS": "0", "tiers-MAX_NUM_FORMS": "20"})
    for index, tier in enumerate(tiers):
        data.update({f"tiers-{index}-tier_id": str(tier.pk), f"tiers-{index}-title": tier.title,
                     f"tiers-{index}-amount": str(tier.amount), f"tiers-{index}-description": tier.description,
                     f"tiers-{index}-quantity_limit": str(tier.quantity_limit or ""),
                     f"tiers-{index}-fulfilment": tier.fulfilment})
    data.update(fields)
    return data


@pytest.fixture
def as_user(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def login(membership):
        client.force_login(membership.user)
        return client

    return login


def body(response):
    return response.content.decode("utf-8-sig")


# The form ----------------------------------------------------------------------------------------

def test_an_admin_creates_a_reward_campaign_with_tiers_and_price_steps(as_user, admin_member, community):
    client = as_user(admin_member)
    page = client.get(url("campaign_new", community))
    assert page.status_code == 200
    text = body(page)
    assert "Equity and debt crowdfunding are not offered" in text
    assert "end of that day" in text and "All or nothing" in text

    response = client.post(url("campaign_new", community), form_data(community, tiers=[
        {"title": "Box of 6", "amount": "58.00", "quantity_limit": "100", "estimated_delivery":
            day(community, 20).isoformat(), "step_quantity_0": "50", "step_price_0": "52.00"},
        {"title": "Gift box, shipped", "amount": "128.00", "fulfilment": "shipping", "description": "With a card"},
    ]))
    campaign = Campaign.objects.get(community=community)
    assert response.status_code == 302 and response["Location"] == url("campaign", community, campaign.pk)
    assert campaign.status == Campaign.Status.DRAFT and campaign.goal == Decimal("1000.00")
    assert services.deadline_day(campaign) == day(community)
    local = timezone.localtime(campaign.deadline, zoneinfo.ZoneInfo(community.timezone))
    assert (local.hour, local.minute) == (23, 59)
    box, gift = campaign.tiers.all()
    assert (box.title, box.amount, box.quantity_limit, box.fulfilment) == ("Box of 6", Decimal("58.00"), 100, "pickup")
    assert [(s.min_quantity, s.price) for s in box.price_steps.all()] == [(50, Decimal("52.00"))]
    assert (gift.fulfilment, gift.quantity_limit, gift.description) == ("shipping", None, "With a card")

    detail = client.get(response["Location"])
    assert "Box of 6" in body(detail) and "Launch" in body(detail)


def test_a_leaders_campaign_is_for_their_branch(as_user, leader, owner, community):
    from tests.branches import fresh, make_branch

    branch = make_branch(owner, "North", leader=leader)
    leader = fresh(leader)
    client = as_user(leader)
    assert 'name="branch"' not in body(client.get(url("campaign_new", community)))
    client.post(url("campaign_new", community), form_data(community, tiers=[{"title": "Box", "amount": "10"}],
                                                           branch=str(branch.pk + 1000)))
    assert Campaign.objects.get(community=community).branch == branch


def test_promised_returns_are_refused_next_to_the_field(as_user, admin_member, community):
    client = as_user(admin_member)
    response = client.post(url("campaign_new", community), form_data(
        community, story="You get 8% annual interest and your money back.", tiers=[{"title": "Box", "amount": "10"}]))
    assert response.status_code == 400
    assert "cannot promise interest" in body(response)
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("field, value, message", [
    ("goal", "１２", "Enter an amount such as 12.50"),
    ("goal", "-5", "Enter an amount such as 12.50"),
    ("goal", "0", "more than zero"),
    ("goal", "99999999999", "Enter an amount such as 12.50"),
    ("goal", "9" * 200, "Ensure this value has at most 12 characters"),
    ("title", "x" * 5000, "Ensure this value has at most 120 characters"),
    ("title", "\x00", None),  # NUL bytes: the site answers 400 before any view
    ("deadline", "２０３０-０１-０１", "Enter a date such as 2026-12-31"),
    ("deadline", "2020-01-01", "cannot be in the past"),
    ("deadline", "2026-02-30", "Not a date."),
    ("kind", "equity", "Select a valid choice"),
    ("tiers-0-amount", "１２", "Enter an amount such as 12.50"),
    ("tiers-0-amount", "-1", "Enter an amount such as 12.50"),
    ("tiers-0-quantity_limit", "-3", "A whole number"),
    ("tiers-0-quantity_limit", "0", "From 1 to"),
    ("tiers-0-quantity_limit", "９", "A whole number"),
    ("tiers-0-step_quantity_0", "1", "From 2 to"),
    ("tiers-0-step_price_0", "80", "A step price is lower"),
    ("tiers-0-estimated_delivery", "soon", "Enter a date such as 2026-12-31"),
    ("tiers-0-title", "t\x00" * 100, None),
    ("tiers-TOTAL_FORMS", "100000", "Please submit at most 20 forms"),
])
def test_bad_input_is_a_form_error_not_a_crash(as_user, admin_member, community, field, value, message):
    client = as_user(admin_member)
    data = form_data(community, tiers=[{"title": "Box", "amount": "50.00", "step_quantity_0": "10",
                                        "step_price_0": "45"}])
    data[field] = value
    response = client.post(url("campaign_new", community), data)
    assert response.status_code == 400, field
    assert message is None or message in body(response), (field, value)
    assert not Campaign.objects.exists()


def test_a_donation_drive_needs_no_tier_and_a_reward_campaign_launches_only_with_one(
        as_user, admin_member, community):
    client = as_user(admin_member)
    response = client.post(url("campaign_new", community), form_data(community, kind="donation",
                                                                      title="New benches for the garden"))
    assert response.status_code == 302
    donation = Campaign.objects.get()
    assert donation.kind == "donation" and not donation.tiers.exists()
    client.post(url("campaign_new", community), form_data(community, title="No tier yet"))
    empty = Campaign.objects.get(title="No tier yet")
    page = client.post(url("campaign_launch", community, empty.pk), follow=True)
    assert "Add at least one reward tier first" in body(page)
    empty.refresh_from_db()
    assert empty.status == "draft"


def test_a_cover_image_is_stored_re_encoded(as_user, admin_member, community, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(picture, "JPEG")
    client = as_user(admin_member)
    data = form_data(community, tiers=[{"title": "Box", "amount": "10"}])
    data["cover"] = SimpleUploadedFile("cover.jpg", picture.getvalue(), content_type="image/jpeg")
    assert client.post(url("campaign_new", community), data).status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.cover.name.startswith("campaigns/") and campaign.cover.name.endswith(".jpg")

    data = form_data(community, tiers=[{"title": "Box", "amount": "10"}], title="Second")
    data["cover"] = SimpleUploadedFile("cover.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(url("campaign_new", community), data)
    assert response.status_code == 400 and "not an image we can read" in body(response)
    assert Campaign.objects.count() == 1


# Editing a live campaign: frozen terms -----------------------------------------------------------

def test_a_live_campaign_shows_its_frozen_terms_and_refuses_changing_them(
        as_user, owner, member, community, make_campaign, pledge, pickup_point):
    campaign = make_campaign(tiers=[services.TierSpec(title="Box", amount="50.00", quantity_limit=10),
                                    services.TierSpec(title="Jar", amount="20.00")])
    backed_tier, free_tier = campaign.tiers.all()
    pledge(member, campaign, tier=backed_tier)
    client = as_user(owner)

    page = body(client.get(url("campaign_edit", community, campaign.pk)))
    assert "data-frozen-note" in page and "has backers: only the quantity may rise" in page
    assert 'name="goal"' in page and "disabled" in page.split('name="goal"')[1].split(">")[0]

    # The browser sends no disabled input: the title still changes, the frozen terms stay.
    data = edit_data(campaign, title="Mooncakes, baked Friday")
    for name in ("goal", "deadline", "kind", "funding_model", "tiers-0-title", "tiers-0-amount"):
        data.pop(name)
    assert client.post(url("campaign_edit", community, campaign.pk), data).status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Mooncakes, baked Friday" and campaign.goal == Decimal("100.00")

    # A change of a frozen term (a form opened before launch, or crafted): the service's reason, at the field.
    response = client.post(url("campaign_edit", community, campaign.pk), edit_data(campaign, goal="5000.00"))
    assert response.status_code == 400
    assert "Frozen once the campaign is live." in body(response).split('name="goal"')[1][:2000]
    response = client.post(url("campaign_edit", community, campaign.pk),
                           edit_data(campaign, **{"tiers-0-amount": "45.00"}))
    assert response.status_code == 400 and "This tier has backers: only its quantity may rise." in body(response)
    response = client.post(url("campaign_edit", community, campaign.pk),
                           edit_data(campaign, **{"tiers-0-quantity_limit": "5"}))
    assert response.status_code == 400 and "may only rise" in body(response)

    # The quantity of a backed tier may rise; a tier without backers may change.
    response = client.post(url("campaign_edit", community, campaign.pk), edit_data(
        campaign, **{"tiers-0-quantity_limit": "30", "tiers-1-amount": "18.00"}))
    assert response.status_code == 302
    backed_tier.refresh_from_db()
    free_tier.refresh_from_db()
    assert (backed_tier.quantity_limit, backed_tier.amount, free_tier.amount) == (30, Decimal("50.00"),
                                                                                 Decimal("18.00"))


def test_a_draft_tier_can_be_removed_and_added(as_user, owner, community, make_campaign):
    campaign = make_campaign(launch=False, tiers=[services.TierSpec(title="Box", amount="50.00"),
                                                  services.TierSpec(title="Jar", amount="20.00")])
    client = as_user(owner)
    data = edit_data(campaign, **{"tiers-1-DELETE": "on", "tiers-TOTAL_FORMS": "3", "tiers-2-title": "Tin",
                                  "tiers-2-amount": "30.00", "tiers-2-fulfilment": "shipping"})
    assert client.post(url("campaign_edit", community, campaign.pk), data).status_code == 302
    assert [(t.title, t.fulfilment) for t in campaign.tiers.all()] == [("Box", "pickup"), ("Tin", "shipping")]


# Launch, cancel ----------------------------------------------------------------------------------

def test_launch_then_cancel_refunds_every_backer(as_user, owner, member, community, make_campaign, pledge, top_up,
                                                 pickup_point):
    campaign = make_campaign(launch=False)
    client = as_user(owner)
    page = client.post(url("campaign_launch", community, campaign.pk), follow=True)
    assert "Launched" in body(page)
    campaign.refresh_from_db()
    assert campaign.status == "live"

    top_up(member, "50.00")
    paid = services.pledge_pay_with_wallet(member=member, pledge=pledge(member, campaign))
    assert Wallet.objects.get(member=member.user).balance == Decimal("0.00")

    page = client.post(url("campaign_cancel", community, campaign.pk), {"reason": "The bakery closed"}, follow=True)
    assert "every pledge was released" in body(page)
    campaign.refresh_from_db()
    paid.refresh_from_db()
    assert campaign.status == "cancelled" and paid.status == Pledge.Status.REFUNDED
    assert Wallet.objects.get(member=member.user).balance == Decimal("50.00")
    assert Notification.objects.filter(recipient=member.user, kind="campaign_cancelled",
                                       body__contains="The bakery closed").exists()
    # Twice: a clear message, nothing changes.
    page = client.post(url("campaign_cancel", community, campaign.pk), follow=True)
    assert "Only a draft or live campaign can be cancelled." in body(page)


def test_a_member_cannot_reach_the_console_and_a_leader_cannot_confirm_money(
        as_user, member, leader, community, make_campaign, pickup_point):
    campaign = make_campaign()
    client = as_user(member)
    assert client.get(url("campaigns", community)).status_code == 403
    client = as_user(leader)
    assert client.get(url("campaigns", community)).status_code == 200
    assert client.post(url("pledges_mark_received", community, campaign.pk), {"pledge": "1"}).status_code == 403
    # A campaign the leader did not create is theirs to read, not to change.
    assert client.get(url("campaign", community, campaign.pk)).status_code == 200
    assert client.get(url("campaign_edit", community, campaign.pk)).status_code == 404
    assert client.post(url("campaign_cancel", community, campaign.pk)).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == "live"


# Payments ----------------------------------------------------------------------------------------

def test_an_admin_marks_reported_transfers_received_in_bulk_and_declines_one(
        as_user, admin_member, owner, member, leader, community, make_campaign, pledge, pickup_point):
    campaign = make_campaign()
    first = pledge(member, campaign)
    second = pledge(leader, campaign)
    third = pledge(owner, campaign)
    services.pledge_report_transfer(member=member, pledge=first, reference="WeChat 0815")
    services.pledge_report_transfer(member=leader, pledge=second, reference="Alipay 77")
    services.pledge_report_transfer(member=owner, pledge=third, reference="wrong")
    client = as_user(admin_member)

    page = body(client.get(url("campaign", community, campaign.pk)))
    assert "WeChat 0815" in page and "transfer reported" in page

    response = client.post(url("pledges_mark_received", community, campaign.pk),
                           {"pledge": [first.pk, second.pk], "reference": "bank statement"}, follow=True)
    assert "2 pledges marked as paid" in body(response)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Pledge.Status.PAID
    assert Notification.objects.filter(recipient=member.user, kind="payment_received").exists()

    response = client.post(url("pledge_transfer_decline", community, third.pk), {"note": "Not on the statement"},
                           follow=True)
    assert "marked not received" in body(response)
    third.refresh_from_db()
    assert third.status == Pledge.Status.PENDING_PAYMENT
    assert Payment.objects.get(charge=third.charge).status == Payment.Status.DECLINED
    assert Notification.objects.filter(recipient=owner.user, kind="transfer_declined").exists()
    # Again: nothing waits any more.
    response = client.post(url("pledge_transfer_decline", community, third.pk), follow=True)
    assert "There is no reported transfer waiting for this pledge." in body(response)
    # Nothing ticked, or a stranger's id: a message, a 404.
    assert "Tick the pledges" in body(client.post(url("pledges_mark_received", community, campaign.pk), follow=True))
    assert client.post(url("pledges_mark_received", community, campaign.pk),
                       {"pledge": ["99999999", "１２"]}).status_code == 404


# Updates -----------------------------------------------------------------------------------------

def test_an_update_is_posted_and_every_backer_is_notified(as_user, owner, member, leader, community, make_campaign,
                                                          pledge, pickup_point):
    campaign = make_campaign()
    pledge(member, campaign)
    pledge(leader, campaign)
    client = as_user(owner)
    page = client.post(url("campaign_update_post", community, campaign.pk),
                       {"title": "In the oven", "body": "The first batch bakes on Friday."}, follow=True)
    assert "every backer was notified" in body(page)
    assert "The first batch bakes on Friday." in body(page)
    assert set(Notification.objects.filter(kind="campaign_update").values_list("recipient", flat=True)) == {
        member.user_id, leader.user_id}
    page = client.post(url("campaign_update_post", community, campaign.pk), {"title": "", "body": "x" * 6000},
                       follow=True)
    assert "This field is required" in body(page) and campaign.updates.count() == 1


# Rewards -----------------------------------------------------------------------------------------

@pytest.fixture
def succeeded(make_campaign, pledge, top_up, member, admin_member, pickup_point, community):
    """A campaign that succeeded: the member's 2 boxes at North gate, the admin's gift box shipped."""
    campaign = make_campaign(goal="100.00", tiers=[
        services.TierSpec(title="Box of mooncakes", amount="50.00", quantity_limit=10),
        services.TierSpec(title="Gift box", amount="80.00", fulfilment=RewardTier.Fulfilment.SHIPPING)])
    box, gift = campaign.tiers.all()
    top_up(member, "100.00")
    top_up(admin_member, "80.00")
    mine = services.pledge_pay_with_wallet(member=member, pledge=pledge(member, campaign, tier=box, quantity=2))
    shipped = services.pledge_pay_with_wallet(member=admin_member, pledge=pledge(
        admin_member, campaign, tier=gift, shipping_address="8 Garden Road"))
    sweep_run("crowdfunding.settle_campaigns", now=campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()
    assert campaign.status == "succeeded"
    mine.refresh_from_db()
    shipped.refresh_from_db()
    return campaign, mine, shipped


def test_rewards_csv_and_the_printable_sheet_of_a_pickup_point(as_user, owner, member, community, succeeded,
                                                               pickup_point):
    campaign, mine, shipped = succeeded
    client = as_user(owner)
    page = body(client.get(url("campaign", community, campaign.pk)))
    assert "Rewards to hand out" in page and "North gate" in page

    response = client.get(url("campaign_rewards", community, campaign.pk))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body(response))))
    assert rows[0][:7] == ["Pledge", "Reward", "Pickup point or shipping", "Member", "Phone", "Quantity",
                           "Pickup code"]
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[str(mine.pk)][1:8] == ["Box of mooncakes", "North gate", member.user.display_name,
                                        member.user.phone, "2", "····" + mine.pickup_code[-2:], "Collected"]
    assert by_id[str(shipped.pk)][2] == "Shipping: 8 Garden Road" and by_id[str(shipped.pk)][6] == ""

    sheet = client.get(url("reward_sheet", community, campaign.pk, pickup_point.pk))
    text = body(sheet)
    assert sheet.status_code == 200 and "window.print()" in text
    assert member.user.display_name in text and "Box of mooncakes ×2" in text
    # A printed sheet never holds a whole code: whoever picks it up could claim the reward with it.
    assert mine.pickup_code not in text and "····" + mine.pickup_code[-2:] in text
    assert "8 Garden Road" not in text
    sheet_csv = list(csv.reader(io.StringIO(body(client.get(url("reward_sheet", community, campaign.pk,
                                                               pickup_point.pk), {"format": "csv"})))))
    assert sheet_csv[1][1:6] == [member.user.display_name, member.user.phone, "····" + mine.pickup_code[-2:],
                                 "Box of mooncakes", "2"]


def test_hand_out_by_code_then_again_says_already_handed_out(as_user, admin_member, member, community, succeeded):
    campaign, mine, _shipped = succeeded
    client = as_user(admin_member)
    hand_out = url("reward_hand_out", community, campaign.pk)

    wrong = body(client.get(hand_out, {"code": "000000" if mine.pickup_code != "000000" else "111111"}))
    assert 'data-outcome="pickup_not_found"' in wrong
    assert 'data-outcome="invalid"' in body(client.get(hand_out, {"code": "１２３"}))

    found = body(client.get(hand_out, {"code": mine.pickup_code}))
    assert 'data-outcome="ready"' in found and member.user.display_name in found
    page = client.post(hand_out, {"code": mine.pickup_code, "pledge": mine.pk}, follow=True)
    assert "Handed out: Box of mooncakes ×2" in body(page)
    mine.refresh_from_db()
    assert mine.status == Pledge.Status.HANDED_OUT

    again = body(client.get(hand_out, {"code": mine.pickup_code}))
    assert 'data-outcome="already_picked_up"' in again and "already handed out" in again
    page = client.post(hand_out, {"code": mine.pickup_code, "pledge": mine.pk}, follow=True)
    assert "This reward was already handed out on" in body(page)
    # A code that is not the pledge's: refused.
    page = client.post(hand_out, {"code": "999999" if mine.pickup_code != "999999" else "888888",
                                  "pledge": mine.pk}, follow=True)
    assert "does not match" in body(page) or "already handed out" in body(page)


def test_a_shipping_reward_is_shipped_with_its_tracking_number(as_user, owner, admin_member, community, succeeded):
    campaign, _mine, shipped = succeeded
    client = as_user(owner)
    page = client.post(url("pledge_ship", community, shipped.pk), {"tracking": "SF1234567"}, follow=True)
    assert "is on its way" in body(page)
    shipped.refresh_from_db()
    assert shipped.status == Pledge.Status.SHIPPED and shipped.tracking == "SF1234567"
    assert Notification.objects.filter(recipient=admin_member.user, kind="reward_shipped",
                                       body__contains="SF1234567").exists()


def test_the_list_filters_by_status_and_shows_progress(as_user, owner, community, make_campaign, member, pledge,
                                                       top_up, pickup_point):
    live = make_campaign(title="Live one", goal="200.00")
    make_campaign(title="Draft one", launch=False)
    top_up(member, "50.00")
    services.pledge_pay_with_wallet(member=member, pledge=pledge(member, live))
    client = as_user(owner)
    text = body(client.get(url("campaigns", community)))
    assert "Live one" in text and "Draft one" in text and "(25%)" in text and "1 backer" in text
    text = body(client.get(url("campaigns", community), {"status": "draft"}))
    assert "Draft one" in text and "Live one" not in text
    assert client.get(url("campaigns", community), {"status": "bogus", "page": "１"}).status_code == 200


# Tenancy -----------------------------------------------------------------------------------------

def test_another_communitys_admin_gets_404_everywhere(as_user, community, succeeded, pickup_point):
    from tests.factories import CommunityFactory, MembershipFactory

    campaign, mine, _shipped = succeeded
    other = CommunityFactory()
    stranger = MembershipFactory(community=other, role="admin")
    client = as_user(stranger)
    for name, args in [("campaigns", ()), ("campaign", (campaign.pk,)), ("campaign_edit", (campaign.pk,)),
                       ("reward_hand_out", (campaign.pk,)), ("campaign_rewards", (campaign.pk,)),
                       ("reward_sheet", (campaign.pk, pickup_point.pk))]:
        assert client.get(url(name, community, *args)).status_code == 404, name
    # Their own community's URLs with this community's ids.
    for name, args in [("campaign", (campaign.pk,)), ("campaign_edit", (campaign.pk,)),
                       ("reward_hand_out", (campaign.pk,)), ("campaign_rewards", (campaign.pk,)),
                       ("campaign_launch", (campaign.pk,)), ("campaign_cancel", (campaign.pk,)),
                       ("campaign_update_post", (campaign.pk,)), ("pledges_mark_received", (campaign.pk,)),
                       ("pledge_transfer_decline", (mine.pk,)), ("pledge_ship", (mine.pk,))]:
        method = client.get if name in ("campaign", "campaign_edit", "campaign_rewards") else client.post
        response = method(url(name, other, *args), {"pledge": mine.pk, "code": mine.pickup_code})
        assert response.status_code == 404, name
        assert mine.pickup_code not in body(response)
    campaign.refresh_from_db()
    assert campaign.status == "succeeded"


# Branch scope: West's leader walks every route on East's campaigns -------------------------------

EAST_SECRET = "east-secret"


def _campaign(actor, title, *, days=10, branch=None, tiers=None):
    deadline = day(actor.community, days).isoformat()
    tiers = tiers or [services.TierSpec(title=f"{title} box", amount="50.00", quantity_limit=10),
                      services.TierSpec(title=f"{title} parcel", amount="60.00",
                                        fulfilment=RewardTier.Fulfilment.SHIPPING)]
    campaign = services.campaign_create(actor=actor, title=title, goal="50.00", deadline=deadline, branch=branch,
                                        tiers=tiers)
    return services.campaign_launch(actor=actor, campaign=campaign)


def _back(buyer, campaign, key, *, point=None, shipping=False):
    tier = campaign.tiers.get(fulfilment="shipping" if shipping else "pickup")
    return services.pledge_place(member=buyer, campaign=campaign, tier_id=tier.pk, idempotency_key=key,
                                 pickup_point_id=point.pk if point else None,
                                 shipping_address="east-secret-address" if shipping else "")[0]


@pytest.fixture
def world():
    from orders import services as order_services
    from payments import services as payments_services
    from tests.branches import fresh, make_branch
    from tests.factories import CommunityFactory, MembershipFactory, UserFactory

    community = CommunityFactory(name="Sunny Garden")
    owner = fresh(MembershipFactory(community=community, role="owner", user=UserFactory(display_name="Owner")))
    admin = fresh(MembershipFactory(community=community, role="admin", user=UserFactory(display_name="Admin")))
    east_lead = MembershipFactory(community=community, role="leader", user=UserFactory(display_name="East lead"))
    west_lead = MembershipFactory(community=community, role="leader", user=UserFactory(display_name="West lead"))
    east_buyer = MembershipFactory(community=community, user=UserFactory(display_name="east-secret-buyer",
                                                                         phone="13912340001"))
    east_point = order_services.pickup_point_save(actor=owner, name="East gate", address="East road 1")
    west_point = order_services.pickup_point_save(actor=owner, name="West gate", address="West road 9")
    east = make_branch(owner, "East", leader=east_lead, members=[east_buyer], points=[east_point])
    west = make_branch(owner, "West", leader=west_lead, points=[west_point])
    east_lead, west_lead, east_buyer = map(fresh, (east_lead, west_lead, east_buyer))
    payments_services.wallet_top_up(actor=owner, member_user=east_buyer.user, amount=Decimal("500.00"))

    done = _campaign(owner, "east-secret-done", days=1, branch=east)
    collected = services.pledge_pay_with_wallet(member=east_buyer, pledge=_back(east_buyer, done, "d1",
                                                                                 point=east_point))
    parcel = services.pledge_pay_with_wallet(member=east_buyer, pledge=_back(east_buyer, done, "d2", shipping=True))
    sweep_run("crowdfunding.settle_campaigns", now=done.deadline + timedelta(seconds=1))
    aimed_east = _campaign(owner, "east-secret-owner", branch=east)
    reported = _back(east_buyer, aimed_east, "a1", point=east_point)
    services.pledge_report_transfer(member=east_buyer, pledge=reported, reference="east-secret-ref")
    east_own = _campaign(east_lead, "east-secret-leader")
    own_pledge = _back(east_buyer, east_own, "o1", point=east_point)
    whole = _campaign(owner, "Whole community")
    whole_pledge = _back(east_buyer, whole, "w1", point=east_point)
    services.pledge_report_transfer(member=east_buyer, pledge=whole_pledge, reference="east-secret-whole")
    pledges = [Pledge.objects.get(pk=p.pk) for p in (collected, parcel, reported, own_pledge, whole_pledge)]
    return {"community": community, "owner": owner, "admin": admin, "east": east, "west": west,
            "east_lead": east_lead, "west_lead": west_lead, "east_buyer": east_buyer, "east_point": east_point,
            "west_point": west_point, "east_campaigns": [Campaign.objects.get(pk=c.pk) for c in
                                                         (done, aimed_east, east_own)],
            "whole": whole, "pledges": pledges}


def snapshot(world):
    from core.models import AuditLog
    from crowdfunding.models import CampaignUpdate, TierPriceStep

    west_lead = world["west_lead"].user_id
    campaigns = Campaign.objects.filter(community=world["community"]).exclude(created_by_id=west_lead)
    return (
        sorted(campaigns.values_list("id", "status", "title", "story", "goal", "deadline", "branch_id", "cover")),
        sorted(RewardTier.objects.filter(campaign__in=campaigns).values_list(
            "id", "title", "amount", "quantity_limit", "quantity_taken", "fulfilment")),
        sorted(TierPriceStep.objects.filter(tier__campaign__in=campaigns).values_list("id", "price")),
        sorted(Pledge.objects.filter(community=world["community"]).values_list(
            "id", "status", "tracking", "handed_out_at", "expires_at")),
        sorted(Payment.objects.filter(community_id=world["community"].pk).values_list("id", "status")),
        CampaignUpdate.objects.filter(campaign__in=campaigns).count(),
        AuditLog.objects.filter(community=world["community"]).exclude(actor_id=west_lead).count(),
        Notification.objects.filter(community=world["community"]).count(),
    )


def console_routes():
    from django.urls import URLPattern, get_resolver

    _prefix, sub = get_resolver().namespace_dict["crowdfunding_console"]
    # Split-bill collections (same namespace) are walked by their own tests.
    return [(p.name, p.pattern.converters) for p in sub.url_patterns
            if isinstance(p, URLPattern) and not p.name.startswith("collection")]


def route_targets(world, name, converters):
    if not set(converters) - {"slug"}:
        return [{}]
    campaigns = world["east_campaigns"]
    if name == "reward_sheet":
        return [{"pk": c.pk, "point_pk": world["east_point"].pk} for c in [*campaigns, world["whole"]]]
    if name.startswith("pledge_"):
        return [{"pk": p.pk} for p in world["pledges"]]
    if name.startswith(("campaign", "pledges_", "reward_")):
        return [{"pk": c.pk} for c in campaigns]
    raise AssertionError(f"add the East rows of {name} to the walk")


def secrets(world, *, echoed=False):
    found = [EAST_SECRET] + [f'data-pledge="{p.pk}"' for p in world["pledges"]]
    if not echoed:
        found += [world["east_buyer"].user.phone] + [p.pickup_code for p in world["pledges"]]
    return found


def assert_nothing_of_east(world, response, *, echoed=False, where=""):
    text = response.content.decode("utf-8-sig", errors="replace")
    leaked = [secret for secret in secrets(world, echoed=echoed) if secret in text]
    assert not leaked, (where, response.status_code, leaked)


def test_west_leader_walks_every_campaign_route_on_east_and_reads_or_changes_nothing(client, world):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    community, east, east_point = world["community"], world["east"], world["east_point"]
    tier = world["east_campaigns"][0].tiers.first()
    collected = world["pledges"][0]
    payload = {
        "kind": "reward", "title": "pwned", "story": "pwned", "goal": "1.00", "deadline": day(community).isoformat(),
        "funding_model": "keep_what_you_raise", "branch": east.pk,
        "tiers-TOTAL_FORMS": "1", "tiers-INITIAL_FORMS": "0", "tiers-MIN_NUM_FORMS": "0", "tiers-MAX_NUM_FORMS": "20",
        "tiers-0-tier_id": tier.pk, "tiers-0-title": "pwned", "tiers-0-amount": "1.00", "tiers-0-fulfilment": "pickup",
        "pledge": [p.pk for p in world["pledges"]], "only": collected.pk, "code": collected.pickup_code,
        "reason": "pwned", "note": "pwned", "body": "pwned", "tracking": "pwned", "reference": "pwned",
        "pickup_point": east_point.pk,
    }
    query = {"format": "csv", "code": collected.pickup_code, "status": "collected", "rows": "5"}
    before = snapshot(world)
    client.force_login(world["west_lead"].user)

    routes = console_routes()
    assert len(routes) >= 13
    checked = 0
    for name, converters in routes:
        for kwargs in route_targets(world, name, converters):
            path = reverse(f"crowdfunding_console:{name}", kwargs={"slug": community.slug, **kwargs})
            names_east = bool(kwargs)
            plain, searched, posted = client.get(path), client.get(path, query), client.post(path, payload)
            for response, echoed, method in ((plain, False, "get"), (searched, True, "get"), (posted, True, "post")):
                if names_east:
                    allowed = {403, 404, 405}
                else:  # West's own pages: they may show; a campaign created through them is West's
                    allowed = {200, 403, 405} if method == "get" else {302, 400, 403, 405}
                assert response.status_code in allowed, (name, kwargs, method, response.status_code)
                assert_nothing_of_east(world, response, echoed=echoed, where=(name, kwargs, method))
                checked += 1
    assert checked >= 3 * 30
    assert snapshot(world) == before
    # What West's leader created through the form is for West, whatever the form said.
    assert set(Campaign.objects.filter(created_by=world["west_lead"].user).values_list("branch_id", flat=True)) \
        <= {world["west"].pk}


def test_west_leader_reads_a_whole_community_campaign_without_easts_backers(client, world):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    community, whole = world["community"], world["whole"]
    whole_pledge = world["pledges"][-1]
    client.force_login(world["west_lead"].user)
    page = client.get(url("campaign", community, whole.pk))
    assert page.status_code == 200 and "Whole community" in body(page)
    assert_nothing_of_east(world, page)
    assert_nothing_of_east(world, client.get(url("campaigns", community)))
    found = client.get(url("reward_hand_out", community, whole.pk), {"code": whole_pledge.pickup_code})
    assert found.status_code == 200 and 'data-outcome="ready"' not in body(found)
    assert_nothing_of_east(world, found, echoed=True)
    assert client.get(url("campaign_rewards", community, whole.pk)).status_code == 200
    assert_nothing_of_east(world, client.get(url("campaign_rewards", community, whole.pk)))
    # East's leader and the admins see their backers.
    client.force_login(world["east_lead"].user)
    assert "east-secret-buyer" in body(client.get(url("campaign", community, whole.pk)))
    for campaign in world["east_campaigns"]:
        assert client.get(url("campaign", community, campaign.pk)).status_code == 200
    client.force_login(world["admin"].user)
    assert "east-secret-whole" in body(client.get(url("campaign", community, whole.pk)))
