"""Member pages for campaigns: the list, backing with the form token, paying, cancelling, the
outcome after settlement, tenancy, and pages that stay light."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from core.sweeps import sweep_run
from crowdfunding import services
from crowdfunding.models import Campaign, CampaignUpdate, Pledge
from payments.models import Wallet
from tests.branches import make_branch
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PAGE_BUDGET = 60 * 1024


def url(name, campaign_or_pledge=None, slug=None):
    obj = campaign_or_pledge
    args = [slug or obj.community.slug] + ([obj.pk] if obj is not None else [])
    return reverse(f"crowdfunding:{name}", args=args)


def back(tier, point=None, token="tok-1", **extra):
    data = {"token": token, "tier": tier.pk if tier != "none" else "none", "quantity": "1"}
    if point is not None:
        data["pickup_point"] = point.pk
    data.update(extra)
    return data


def balance(membership):
    wallet = Wallet.objects.filter(community=membership.community, member=membership.user).first()
    return wallet.balance if wallet else Decimal("0")


def settle(campaign):
    sweep_run("crowdfunding.settle_campaigns", now=campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()


def test_member_backs_a_tier_from_the_campaign_page_and_a_double_tap_makes_one_pledge(
        client, make_campaign, member, pickup_point):
    campaign = make_campaign()
    tier = campaign.tiers.get()
    client.force_login(member.user)
    page = client.get(url("campaign", campaign), **EN)
    text = page.content.decode()
    assert page.status_code == 200 and campaign.title in text and tier.title in text
    assert "10 left" in text and "All or nothing" in text

    first = client.post(url("campaign", campaign), back(tier, pickup_point, quantity="2"), **EN)
    second = client.post(url("campaign", campaign), back(tier, pickup_point, quantity="2"), **EN)

    pledge = Pledge.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == pledge.get_absolute_url()
    assert pledge.amount == Decimal("100.00") and pledge.pickup_point == pickup_point
    assert campaign.tiers.get().quantity_taken == 2


def test_support_without_a_reward_anonymously_with_extra_support(client, make_campaign, member, leader, pickup_point,
                                                                   top_up):
    campaign = make_campaign()
    client.force_login(member.user)
    response = client.post(url("campaign", campaign), back("none", amount="20", extra_support="5.50",
                                                           anonymous="on"), **EN)
    pledge = Pledge.objects.get()
    assert response.status_code == 302
    assert pledge.tier is None and pledge.amount == Decimal("25.50") and pledge.anonymous
    top_up(member, "30")
    client.post(url("pledge_pay", pledge), {"method": "wallet"})

    client.force_login(leader.user)
    text = client.get(url("campaign", campaign), **EN).content.decode()
    assert "Anonymous backer" in text and member.user.display_name not in text


def test_a_donation_drive_takes_an_amount(client, make_campaign, member):
    campaign = make_campaign(kind=Campaign.Kind.DONATION)
    client.force_login(member.user)
    page = client.get(url("campaign", campaign), **EN)
    assert page.status_code == 200 and 'name="amount"' in page.content.decode()
    response = client.post(url("campaign", campaign), {"token": "d1", "amount": "66"}, **EN)
    assert response.status_code == 302 and Pledge.objects.get().amount == Decimal("66.00")


@pytest.mark.parametrize("data, field", [
    ({"tier": ""}, "tier"),
    ({"tier": "999999"}, "tier"),
    ({"quantity": "１２"}, "quantity"),
    ({"quantity": "-1"}, "quantity"),
    ({"quantity": "1000"}, "quantity"),
    ({"pickup_point": ""}, "pickup_point"),
    ({"pickup_point": "abc"}, "pickup_point"),
    ({"extra_support": "１０"}, "extra_support"),
    ({"extra_support": "-5"}, "extra_support"),
    ({"extra_support": "1.234"}, "extra_support"),
    ({"extra_support": "99999999999"}, "extra_support"),
    ({"note": "x" * 201}, "note"),
    ({"note": "bad\x00"}, "note"),
])
def test_bad_input_is_shown_on_the_form_not_raised(client, make_campaign, member, pickup_point, data, field):
    campaign = make_campaign()
    tier = campaign.tiers.get()
    client.force_login(member.user)
    response = client.post(url("campaign", campaign), {**back(tier, pickup_point), **data}, **EN)
    assert response.status_code == 400
    if not any("\x00" in value for value in data.values()):  # a NUL byte is refused before the view (core's bad-request page)
        assert field in response.context["form"].errors
    assert not Pledge.objects.exists()


def test_a_gift_needs_an_amount(client, make_campaign, member, pickup_point):
    campaign = make_campaign()
    client.force_login(member.user)
    response = client.post(url("campaign", campaign), back("none"), **EN)
    assert response.status_code == 400 and "amount" in response.context["form"].errors


def test_a_pickup_point_of_another_community_is_refused(client, make_campaign, member, pickup_point):
    from orders.models import PickupPoint

    other = CommunityFactory()
    foreign = PickupPoint.objects.create(community=other, name="Elsewhere", address="far")
    campaign = make_campaign()
    client.force_login(member.user)
    response = client.post(url("campaign", campaign), back(campaign.tiers.get(), foreign), **EN)
    assert response.status_code == 400 and response.context["form"].errors["pickup_point"]
    assert not Pledge.objects.exists()


def test_a_sold_out_tier_is_shown_disabled_and_refused(client, make_campaign, member, leader, pickup_point, pledge):
    campaign = make_campaign(tiers=[services.TierSpec(title="Last box", amount="30.00", quantity_limit=1),
                                    services.TierSpec(title="Open box", amount="10.00")])
    last = campaign.tiers.get(title="Last box")
    pledge(leader, campaign, tier=last)  # unpaid: it holds the unit
    client.force_login(member.user)
    page = client.get(url("campaign", campaign), **ZH)
    text = page.content.decode()
    assert "data-sold-out" in text
    assert f'value="{last.pk}" data-fulfilment="pickup" disabled' in text

    response = client.post(url("campaign", campaign), back(last, pickup_point), **EN)
    assert response.status_code == 400 and "sold out" in str(response.context["form"].errors["tier"])
    assert Pledge.objects.filter(member=member.user).count() == 0


def test_the_service_refuses_what_the_form_could_not_know(client, make_campaign, member, leader, pickup_point,
                                                          pledge, monkeypatch):
    """The last unit goes to someone else between the page and the tap: the service says sold out."""
    campaign = make_campaign(tiers=[services.TierSpec(title="Last box", amount="30.00", quantity_limit=1)])
    last = campaign.tiers.get()
    client.force_login(member.user)
    original = services.pledge_place

    def someone_was_faster(**kwargs):
        monkeypatch.setattr(services, "pledge_place", original)
        pledge(leader, campaign, tier=last)
        return original(**kwargs)

    monkeypatch.setattr(services, "pledge_place", someone_was_faster)
    response = client.post(url("campaign", campaign), back(last, pickup_point), **EN)
    assert response.status_code == 400
    assert "Sold out." in response.context["form"].errors["tier"]
    assert not Pledge.objects.filter(member=member.user).exists()


def test_pay_from_the_wallet_twice_pays_once(client, make_campaign, member, pickup_point, top_up):
    campaign = make_campaign()
    top_up(member, "80")
    client.force_login(member.user)
    client.post(url("campaign", campaign), back(campaign.tiers.get(), pickup_point))
    pledge = Pledge.objects.get()
    page = client.get(url("pledge", pledge), **EN).content.decode()
    assert "Pay from wallet (balance ¥80.00)" in page

    first = client.post(url("pledge_pay", pledge), {"method": "wallet"}, **EN)
    second = client.post(url("pledge_pay", pledge), {"method": "wallet"}, follow=True, **EN)

    assert first.status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.PAID and balance(member) == Decimal("30.00")
    assert not any(m.level_tag == "error" for m in second.context["messages"])
    assert "Thank you, you are a backer!" in second.content.decode()


def test_short_balance_then_a_reported_transfer_holds_the_unit(client, make_campaign, member, pickup_point):
    campaign = make_campaign()
    client.force_login(member.user)
    client.post(url("campaign", campaign), back(campaign.tiers.get(), pickup_point))
    pledge = Pledge.objects.get()
    page = client.get(url("pledge", pledge), **EN).content.decode()
    assert "data-wallet-short" in page and "I have paid by transfer" in page

    refused = client.post(url("pledge_pay", pledge), {"method": "wallet"}, follow=True, **EN)
    assert any(m.level_tag == "error" for m in refused.context["messages"])
    too_long = client.post(url("pledge_pay", pledge), {"method": "manual", "reference": "x" * 101}, **EN)
    assert too_long.status_code == 400
    client.post(url("pledge_pay", pledge), {"method": "manual", "reference": "wx 1234"}, **EN)

    assert pledge.charge.payments.get().reference == "wx 1234"
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.PENDING_PAYMENT and campaign.tiers.get().quantity_taken == 1
    page = client.get(url("pledge", pledge), **EN).content.decode()
    assert "data-reported" in page and "Pay from wallet" not in page


def test_cancel_a_paid_pledge_before_the_deadline_refunds_the_wallet(client, make_campaign, member, pickup_point,
                                                                      top_up):
    campaign = make_campaign()
    top_up(member, "50")
    client.force_login(member.user)
    client.post(url("campaign", campaign), back(campaign.tiers.get(), pickup_point))
    pledge = Pledge.objects.get()
    client.post(url("pledge_pay", pledge), {"method": "wallet"})
    assert "Cancel pledge" in client.get(url("pledge", pledge), **EN).content.decode()

    client.post(url("pledge_cancel", pledge))

    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.REFUNDED and balance(member) == Decimal("50.00")
    assert campaign.tiers.get().quantity_taken == 0
    page = client.get(url("pledge", pledge), **EN).content.decode()
    assert "back in your wallet" in page and "Cancel pledge" not in page


def test_after_success_the_backer_sees_the_pickup_code_and_its_qr(client, make_campaign, member, pickup_point,
                                                                   top_up, pledge):
    campaign = make_campaign(goal="50.00")
    top_up(member, "50")
    mine = pledge(member, campaign)
    services.pledge_pay_with_wallet(member=member, pledge=mine)
    settle(campaign)
    assert campaign.status == Campaign.Status.SUCCEEDED
    client.force_login(member.user)
    for headers in (ZH, EN):
        page = client.get(url("pledge", mine), **headers)
        assert page.status_code == 200 and mine.pickup_code in page.content.decode()
    assert "The campaign succeeded" in client.get(url("campaign", campaign), **EN).content.decode()
    qr = client.get(url("pledge_qr", mine))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/png"
    assert "Cancel pledge" not in client.get(url("pledge", mine), **EN).content.decode()


def test_a_shipped_reward_shows_its_tracking_number(client, make_campaign, member, owner, top_up, pledge):
    campaign = make_campaign(goal="50.00", tiers=[services.TierSpec(title="Posted box", amount="50.00",
                                                                    fulfilment="shipping")])
    top_up(member, "50")
    mine = pledge(member, campaign, shipping_address="8 West Lane")
    services.pledge_pay_with_wallet(member=member, pledge=mine)
    settle(campaign)
    services.reward_ship(actor=owner, pledge=mine, tracking="SF1234567890")
    client.force_login(member.user)
    page = client.get(url("pledge", mine), **EN).content.decode()
    assert "SF1234567890" in page and "8 West Lane" in page
    assert client.get(url("pledge_qr", mine)).status_code == 404


def test_after_failure_the_backer_sees_the_refund(client, make_campaign, member, pickup_point, top_up, pledge):
    campaign = make_campaign(goal="500.00")
    top_up(member, "50")
    mine = pledge(member, campaign)
    services.pledge_pay_with_wallet(member=member, pledge=mine)
    settle(campaign)
    assert campaign.status == Campaign.Status.FAILED
    client.force_login(member.user)
    page = client.get(url("pledge", mine), **EN).content.decode()
    assert "did not reach its goal" in page and "back in your wallet" in page
    assert mine.pickup_code not in page
    zh = client.get(url("pledge", mine), **ZH)
    assert zh.status_code == 200
    listing = client.get(url("campaigns", slug=campaign.community.slug), **EN).content.decode()
    assert "Did not reach its goal" in listing


def test_a_campaign_waiting_for_transfers_says_so(client, make_campaign, member, leader, pickup_point, pledge, top_up):
    campaign = make_campaign(goal="50.00")
    waiting = pledge(leader, campaign)
    services.pledge_report_transfer(member=leader, pledge=waiting, reference="wx")
    settle(campaign)
    assert campaign.status == Campaign.Status.SETTLING
    client.force_login(member.user)
    page = client.get(url("campaign", campaign), **EN).content.decode()
    assert "Waiting for transfers to be confirmed" in page and 'name="token"' not in page


def test_updates_newest_first_and_the_story_with_its_paragraphs(client, make_campaign, member, owner, pickup_point):
    campaign = make_campaign(story="First paragraph.\n\nSecond paragraph.")
    services.update_post(actor=owner, campaign=campaign, title="Older news", body="The flour arrived.")
    services.update_post(actor=owner, campaign=campaign, title="Newer news", body="In the oven.")
    client.force_login(member.user)
    text = client.get(url("campaign", campaign), **EN).content.decode()
    assert "<p>First paragraph.</p>" in text
    assert text.index("Newer news") < text.index("Older news")
    assert CampaignUpdate.objects.count() == 2


def test_my_pledges_lists_mine_only(client, make_campaign, member, leader, pickup_point, pledge):
    campaign = make_campaign()
    mine = pledge(member, campaign)
    theirs = pledge(leader, campaign)
    client.force_login(member.user)
    for headers in (ZH, EN):
        page = client.get(url("my_pledges", slug=campaign.community.slug), **headers)
        assert page.status_code == 200
        assert mine.get_absolute_url() in page.content.decode()
        assert theirs.get_absolute_url() not in page.content.decode()


def test_someone_elses_pledge_is_not_found(client, make_campaign, member, leader, pickup_point, pledge):
    campaign = make_campaign()
    theirs = pledge(leader, campaign)
    client.force_login(member.user)
    for name in ("pledge", "pledge_qr"):
        assert client.get(url(name, theirs)).status_code == 404
    for name in ("pledge_pay", "pledge_cancel"):
        assert client.post(url(name, theirs), {"method": "wallet"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Pledge.Status.PENDING_PAYMENT


def test_drafts_other_branches_and_other_communities_are_not_found(client, make_campaign, owner, member, leader,
                                                                    pickup_point):
    draft = make_campaign(launch=False, title="Draft")
    north = make_branch(owner, "North", leader=leader)
    for_north = make_campaign(branch=north, title="North only")
    elsewhere = CommunityFactory()
    stranger = MembershipFactory(community=elsewhere, role="owner", user=UserFactory())
    client.force_login(member.user)
    assert client.get(url("campaign", draft)).status_code == 404
    assert client.get(url("campaign", for_north)).status_code == 404
    assert client.post(url("campaign", for_north), back(for_north.tiers.get(), pickup_point)).status_code == 404
    # Another community's campaign, under this community's address or its own.
    assert client.get(url("campaign", for_north, slug=elsewhere.slug)).status_code == 404
    listing = client.get(url("campaigns", slug=owner.community.slug)).content.decode()
    assert "North only" not in listing and "Draft" not in listing
    client.force_login(stranger.user)
    assert client.get(url("campaign", make_campaign(title="Ours"))).status_code == 404
    assert not Pledge.objects.exists()


def test_campaigns_list_live_first_in_both_languages(client, make_campaign, member, pickup_point):
    ended = make_campaign(title="Ended one", goal="500.00")
    settle(ended)
    make_campaign(title="Running one")
    client.force_login(member.user)
    for headers in (ZH, EN):
        page = client.get(url("campaigns", slug=member.community.slug), **headers)
        text = page.content.decode()
        assert page.status_code == 200 and text.index("Running one") < text.index("Ended one")


def test_the_list_query_count_does_not_grow_with_campaigns(client, make_campaign, member, pickup_point,
                                                           django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_campaign(title="One")
    client.force_login(member.user)
    with CaptureQueriesContext(connection) as few:
        client.get(url("campaigns", slug=member.community.slug))
    for n in range(6):
        make_campaign(title=f"More {n}")
    with django_assert_max_num_queries(len(few)):
        page = client.get(url("campaigns", slug=member.community.slug))
    assert page.content.decode().count("data-campaign=") == 7


def test_the_campaign_page_query_count_does_not_grow_with_backers(client, make_campaign, member, admin_member,
                                                                  pickup_point, pledge, top_up,
                                                                  django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = make_campaign(goal="1000.00")
    services.update_post(actor=admin_member, campaign=campaign, title="News", body="Hello")
    client.force_login(member.user)
    with CaptureQueriesContext(connection) as few:
        client.get(url("campaign", campaign))
    for n in range(5):
        backer = MembershipFactory(community=campaign.community, role="member", user=UserFactory())
        top_up(backer, "50")
        services.pledge_pay_with_wallet(member=backer, pledge=pledge(backer, campaign))
    with django_assert_max_num_queries(len(few)):
        client.get(url("campaign", campaign))


def test_pages_stay_under_60_kb(client, make_campaign, member, owner, pickup_point, pledge, top_up):
    long_text = "很长的故事。" * 500
    campaign = make_campaign(goal="1000.00", story=long_text, tiers=[
        services.TierSpec(title=f"Tier {n}", amount="50.00", description="描述" * 100, quantity_limit=5,
                          price_steps=[(3, "45.00"), (5, "40.00")]) for n in range(8)])
    for n in range(20):
        services.update_post(actor=owner, campaign=campaign, title=f"Update {n}", body="更新" * 200)
    for n in range(20):
        backer = MembershipFactory(community=campaign.community, role="member", user=UserFactory())
        top_up(backer, "50")
        services.pledge_pay_with_wallet(member=backer, pledge=pledge(backer, campaign, tier=campaign.tiers.all()[n % 8]))
    mine = pledge(member, campaign)
    client.force_login(member.user)
    for address in (url("campaign", campaign), url("campaigns", slug=campaign.community.slug),
                    url("my_pledges", slug=campaign.community.slug), url("pledge", mine)):
        page = client.get(address, **ZH)
        assert page.status_code == 200 and len(page.content) < PAGE_BUDGET, address


def test_the_home_page_shows_live_campaigns_and_the_my_links(client, make_campaign, member, pickup_point):
    make_campaign(title="Home campaign")
    client.force_login(member.user)
    for headers in (ZH, EN):
        page = client.get(reverse("communities:home", args=[member.community.slug]), **headers)
        text = page.content.decode()
        assert page.status_code == 200 and "Home campaign" in text
        assert url("my_pledges", slug=member.community.slug) in text
        assert "css/campaigns.css" in text


def test_a_pledge_page_in_both_languages_for_every_state(client, make_campaign, member, pickup_point, pledge, top_up):
    campaign = make_campaign()
    top_up(member, "200")
    unpaid = pledge(member, campaign)
    paid = pledge(member, campaign)
    services.pledge_pay_with_wallet(member=member, pledge=paid)
    cancelled = pledge(member, campaign)
    services.pledge_cancel(member=member, pledge=cancelled)
    gift = pledge(member, campaign, amount="9.90")
    client.force_login(member.user)
    for item in (unpaid, paid, cancelled, gift):
        for headers in (ZH, EN):
            assert client.get(url("pledge", item), **headers).status_code == 200


def test_posting_to_a_finished_campaign_is_refused_on_the_form(client, make_campaign, member, pickup_point):
    campaign = make_campaign(goal="500.00")
    settle(campaign)
    client.force_login(member.user)
    response = client.post(url("campaign", campaign), back(campaign.tiers.get(), pickup_point), **EN)
    assert response.status_code == 400 and "This campaign is not taking pledges." in response.content.decode()
    empty = client.post(url("campaign", make_campaign(title="Open")), {}, **EN)
    assert empty.status_code == 400 and empty.context["form"].errors
    assert not Pledge.objects.exists()


def test_the_pledge_page_of_another_community_is_not_found(client, make_campaign, member, pickup_point, pledge):
    mine = pledge(member, make_campaign())
    elsewhere = CommunityFactory()
    MembershipFactory(community=elsewhere, role="member", user=member.user)
    client.force_login(member.user)
    assert client.get(url("pledge", mine, slug=elsewhere.slug)).status_code == 404
    assert client.post(url("pledge_pay", mine, slug=elsewhere.slug), {"method": "wallet"}).status_code == 404
    assert client.post(url("pledge_cancel", mine, slug=elsewhere.slug)).status_code == 404


def test_a_price_step_reached_shows_the_final_price_and_the_difference_refunded(client, make_campaign, member, leader,
                                                                                 pickup_point, pledge, top_up):
    campaign = make_campaign(goal="90.00", tiers=[services.TierSpec(title="Box", amount="50.00",
                                                                    price_steps=[(2, "45.00")])])
    top_up(member, "50")
    top_up(leader, "50")
    first = pledge(member, campaign)
    services.pledge_pay_with_wallet(member=member, pledge=first)
    services.pledge_pay_with_wallet(member=leader, pledge=pledge(leader, campaign))
    settle(campaign)
    assert campaign.status == Campaign.Status.SUCCEEDED
    client.force_login(member.user)
    page = client.get(url("pledge", first), **EN).content.decode()
    assert "¥45.00 × 1" in page and 'data-paid>¥50.00' in page and "¥5.00" in page
    assert first.pickup_code in page and balance(member) == Decimal("5.00")


def test_my_pledges_query_count_does_not_grow(client, make_campaign, member, pickup_point, pledge,
                                              django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = make_campaign(tiers=[services.TierSpec(title="Box", amount="5.00")])
    pledge(member, campaign)
    client.force_login(member.user)
    with CaptureQueriesContext(connection) as few:
        client.get(url("my_pledges", slug=campaign.community.slug))
    for n in range(5):
        pledge(member, make_campaign(title=f"C{n}", tiers=[services.TierSpec(title="Box", amount="5.00")]))
    pledge(member, campaign, amount="3.00")
    with django_assert_max_num_queries(len(few)):
        page = client.get(url("my_pledges", slug=campaign.community.slug))
    assert page.content.decode().count("data-pledge=") == 7
