"""Campaigns from launch to settlement: what backers pay, get back and pick up."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from datetime import timezone as dt_timezone

from django.utils import timezone

from core.exceptions import Conflict, Unprocessable, ValidationFailed
from core.models import Notification
from core.sweeps import sweep_run
from crowdfunding import services
from crowdfunding.models import Campaign, Pledge
from payments.models import Refund, Wallet

pytestmark = pytest.mark.django_db


def balance(membership):
    wallet = Wallet.objects.filter(community=membership.community, member=membership.user).first()
    return wallet.balance if wallet else Decimal("0")


def settle(now):
    return sweep_run("crowdfunding.settle_campaigns", now=now)


def test_a_backer_pays_from_the_wallet_the_campaign_succeeds_and_the_reward_is_handed_out(
        make_campaign, pledge, top_up, member, leader, owner, pickup_point):
    campaign = make_campaign(goal="100.00")
    top_up(member, "120.00")
    first = pledge(member, campaign, quantity=2)
    services.pledge_pay_with_wallet(member=member, pledge=first)
    assert balance(member) == Decimal("20.00")
    assert services.campaign_totals(campaign).raised == Decimal("100.00")

    settle(campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()
    first.refresh_from_db()
    assert campaign.status == Campaign.Status.SUCCEEDED
    assert first.status == Pledge.Status.COLLECTED

    found = services.reward_find(actor=leader, campaign=campaign, code=first.pickup_code)
    assert found == first
    services.reward_hand_out(actor=leader, pledge=first, code=first.pickup_code)
    first.refresh_from_db()
    assert first.status == Pledge.Status.HANDED_OUT
    with pytest.raises(Conflict) as twice:
        services.reward_hand_out(actor=leader, pledge=first, code=first.pickup_code)
    assert twice.value.code == "already_picked_up"


def test_a_campaign_short_of_its_goal_fails_and_refunds_every_backer(make_campaign, pledge, top_up, member, admin_member,
                                                                       pickup_point):
    campaign = make_campaign(goal="500.00")
    top_up(member, "50.00")
    paid = pledge(member, campaign)
    services.pledge_pay_with_wallet(member=member, pledge=paid)
    unpaid = pledge(admin_member, campaign)
    assert balance(member) == Decimal("0.00")

    settle(campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()
    paid.refresh_from_db()
    unpaid.refresh_from_db()
    assert campaign.status == Campaign.Status.FAILED
    assert paid.status == Pledge.Status.REFUNDED and unpaid.status == Pledge.Status.CANCELLED
    assert balance(member) == Decimal("50.00")
    assert campaign.tiers.get().quantity_taken == 0
    settle(campaign.deadline + timedelta(hours=5))  # again: nothing twice
    assert balance(member) == Decimal("50.00")
    assert Refund.objects.filter(charge=paid.charge).count() == 1


def test_keep_what_you_raise_succeeds_below_the_goal(make_campaign, pledge, top_up, member, pickup_point):
    campaign = make_campaign(goal="1000.00", funding_model=Campaign.FundingModel.KEEP_WHAT_YOU_RAISE)
    top_up(member, "50.00")
    services.pledge_pay_with_wallet(member=member, pledge=pledge(member, campaign))
    settle(campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SUCCEEDED


def test_the_deadline_is_the_end_of_the_day_in_the_communitys_timezone(community, owner):
    for zone, end in (("Asia/Shanghai", "2026-12-05T15:59:59.999999+00:00"),
                      ("America/New_York", "2026-12-06T04:59:59.999999+00:00")):
        community.timezone = owner.community.timezone = zone
        community.save()
        with time_machine.travel("2026-12-01T02:00:00Z", tick=False):
            campaign = services.campaign_create(actor=owner, title="Tea", goal="10", deadline="2026-12-05",
                                                tiers=[services.TierSpec(title="Tin", amount="5")])
        campaign.refresh_from_db()
        assert campaign.deadline.astimezone(dt_timezone.utc).isoformat() == end
    community.timezone = owner.community.timezone = "Asia/Shanghai"
    with time_machine.travel("2026-12-01T02:00:00Z", tick=False), pytest.raises(ValidationFailed) as past:
        services.campaign_create(actor=owner, title="Tea", goal="10", deadline="2026-11-30",
                                 tiers=[services.TierSpec(title="Tin", amount="5")])
    assert "deadline" in past.value.fields


def test_a_transfer_reported_before_the_deadline_holds_the_campaign_in_settling_until_confirmed(
        make_campaign, pledge, top_up, member, admin_member, owner, pickup_point):
    campaign = make_campaign(goal="100.00")
    top_up(member, "50.00")
    services.pledge_pay_with_wallet(member=member, pledge=pledge(member, campaign))
    by_transfer = pledge(admin_member, campaign)
    services.pledge_report_transfer(member=admin_member, pledge=by_transfer, reference="wx-123")

    settle(campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SETTLING
    assert services.campaign_totals(campaign).raised == Decimal("50.00")  # the deadline's figure
    settle(campaign.deadline + timedelta(minutes=5))  # still waiting: nothing moves
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SETTLING

    services.pledges_mark_received(actor=owner, pledges=[by_transfer])
    campaign.refresh_from_db()
    assert services.campaign_totals(campaign).raised == Decimal("50.00")  # frozen until settled
    settle(campaign.deadline + timedelta(minutes=6))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SUCCEEDED
    assert services.campaign_totals(campaign).raised == Decimal("100.00")
    assert set(campaign.pledges.values_list("status", flat=True)) == {"collected"}


def test_an_unconfirmed_transfer_is_released_when_the_window_after_the_deadline_ends(
        make_campaign, pledge, member, owner, community, pickup_point):
    campaign = make_campaign(goal="40.00")
    waiting = pledge(member, campaign)
    services.pledge_report_transfer(member=member, pledge=waiting)
    settle(campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SETTLING

    settle(campaign.deadline + timedelta(minutes=community.payment_window_minutes, seconds=1))
    campaign.refresh_from_db()
    waiting.refresh_from_db()
    assert campaign.status == Campaign.Status.FAILED
    assert waiting.status == Pledge.Status.CANCELLED
    # The money arrives after all: it is recorded and owed back, never lost.
    services.pledges_mark_received(actor=owner, pledges=[waiting])
    refund = Refund.objects.get(charge=waiting.charge)
    assert refund.status == Refund.Status.TO_PAY_BACK and refund.amount == Decimal("50.00")


def test_a_transfer_reported_after_the_deadline_cannot_be_made(make_campaign, pledge, member, pickup_point):
    campaign = make_campaign()
    late = pledge(member, campaign)
    with time_machine.travel(campaign.deadline + timedelta(seconds=1)), pytest.raises(Conflict) as error:
        services.pledge_report_transfer(member=member, pledge=late)
    assert error.value.code == "campaign_closed"


def test_goal_deadline_and_backed_tiers_are_frozen_once_live(make_campaign, pledge, member, owner, pickup_point):
    campaign = make_campaign(tiers=[services.TierSpec(title="Box", amount="50.00", quantity_limit=10),
                                    services.TierSpec(title="Tin", amount="20.00")])
    box, tin = campaign.tiers.order_by("position")
    pledge(member, campaign, tier=box)
    later = (services.deadline_day(campaign) + timedelta(days=2)).isoformat()
    for values in ({"goal": "80.00"}, {"deadline": later},
                   {"funding_model": Campaign.FundingModel.KEEP_WHAT_YOU_RAISE}):
        with pytest.raises(Conflict) as frozen:
            services.campaign_update(actor=owner, campaign=campaign, values=values)
        assert frozen.value.code == "frozen" and set(values) <= set(frozen.value.fields)
    # The same values again change nothing and are accepted; the story may change.
    services.campaign_update(actor=owner, campaign=campaign, values={
        "goal": "100", "deadline": services.deadline_day(campaign).isoformat(), "story": "Baked on Saturday"})

    def spec(tier, **changes):
        values = {"id": tier.pk, "title": tier.title, "amount": tier.amount, "quantity_limit": tier.quantity_limit}
        return services.TierSpec(**{**values, **changes})

    with pytest.raises(Conflict) as priced:
        services.campaign_update(actor=owner, campaign=campaign, tiers=[spec(box, amount="45.00"), spec(tin)])
    assert "tiers.0" in priced.value.fields and priced.value.code == "frozen"
    with pytest.raises(Conflict) as lowered:
        services.campaign_update(actor=owner, campaign=campaign, tiers=[spec(box, quantity_limit=5), spec(tin)])
    assert "tiers.0.quantity_limit" in lowered.value.fields
    with pytest.raises(Conflict):
        services.campaign_update(actor=owner, campaign=campaign, tiers=[spec(tin)])  # box has a backer
    # Raising the quantity, and changing or dropping a tier nobody backed, are fine.
    services.campaign_update(actor=owner, campaign=campaign, tiers=[spec(box, quantity_limit=30)])
    box.refresh_from_db()
    assert box.quantity_limit == 30 and not campaign.tiers.filter(pk=tin.pk).exists()
    campaign.refresh_from_db()
    assert campaign.goal == Decimal("100.00") and campaign.story == "Baked on Saturday"


def test_price_steps_lower_every_backers_price_and_the_difference_is_refunded_at_settlement(
        make_campaign, pledge, top_up, member, admin_member, leader, pickup_point):
    campaign = make_campaign(goal="50.00", tiers=[services.TierSpec(
        title="Box", amount="50.00", price_steps=[(3, "45.00"), (5, "40.00")])])
    backers = [member, admin_member, leader]
    for backer in backers:
        top_up(backer, "200.00")
    first = pledge(member, campaign, quantity=2)  # 2 units at 50
    second = pledge(admin_member, campaign, quantity=2)  # units 3-4: 45
    third = pledge(leader, campaign, quantity=1)  # unit 5: 40
    assert (first.unit_amount, second.unit_amount, third.unit_amount) == (
        Decimal("50.00"), Decimal("45.00"), Decimal("40.00"))
    for backer, one in zip(backers, (first, second, third)):
        services.pledge_pay_with_wallet(member=backer, pledge=one)

    settle(campaign.deadline + timedelta(seconds=1))
    for backer, one in zip(backers, (first, second, third)):
        one.refresh_from_db()
        assert one.status == Pledge.Status.COLLECTED and one.unit_amount == Decimal("40.00")
        assert balance(backer) == Decimal("200.00") - one.amount
    assert balance(member) == Decimal("120.00")  # 2 × 40


def test_a_backer_cancels_before_the_deadline_and_gets_the_money_back(make_campaign, pledge, top_up, member,
                                                                        pickup_point):
    campaign = make_campaign()
    top_up(member, "50.00")
    backed = services.pledge_pay_with_wallet(member=member, pledge=pledge(member, campaign))
    services.pledge_cancel(member=member, pledge=backed)
    backed.refresh_from_db()
    assert backed.status == Pledge.Status.REFUNDED and balance(member) == Decimal("50.00")
    assert campaign.tiers.get().quantity_taken == 0
    with pytest.raises(Conflict):
        services.pledge_cancel(member=member, pledge=backed)
    again = pledge(member, campaign)
    with time_machine.travel(campaign.deadline + timedelta(seconds=1)), pytest.raises(Conflict) as late:
        services.pledge_cancel(member=member, pledge=again)
    assert late.value.code == "campaign_closed"


def test_an_unpaid_pledge_releases_its_unit_after_the_window_unless_a_transfer_was_reported(
        make_campaign, pledge, member, admin_member, community, pickup_point):
    campaign = make_campaign(tiers=[services.TierSpec(title="Box", amount="50.00", quantity_limit=2)])
    unpaid = pledge(member, campaign)
    reported = pledge(admin_member, campaign)
    services.pledge_report_transfer(member=admin_member, pledge=reported)
    with pytest.raises(Conflict) as sold_out:
        pledge(member, campaign, key="third")
    assert sold_out.value.code == "sold_out"
    later = timezone.now() + timedelta(minutes=community.payment_window_minutes + 1)
    sweep_run("crowdfunding.expire_pledges", now=later)
    unpaid.refresh_from_db()
    reported.refresh_from_db()
    assert unpaid.status == Pledge.Status.CANCELLED and reported.status == Pledge.Status.PENDING_PAYMENT
    assert campaign.tiers.get().quantity_taken == 1


def test_a_retried_pledge_returns_the_first_and_another_body_with_the_same_key_is_refused(
        make_campaign, pledge, member, pickup_point):
    campaign = make_campaign()
    first = pledge(member, campaign, key="tap")
    assert pledge(member, campaign, key="tap") == first
    with pytest.raises(Unprocessable):
        pledge(member, campaign, key="tap", quantity=2)
    assert campaign.tiers.get().quantity_taken == 1


def test_a_campaign_cannot_promise_interest_dividends_or_repayment(owner):
    day = (timezone.now() + timedelta(days=3)).date().isoformat()
    for title, story in (("Fund our shop", "Backers receive 8% annual interest"), ("保本众筹", ""),
                         ("Tea garden", "每年分红")):
        with pytest.raises(ValidationFailed) as refused:
            services.campaign_create(actor=owner, title=title, goal="100", deadline=day, story=story,
                                     tiers=[services.TierSpec(title="Tin", amount="5")])
        assert {"title", "story"} & set(refused.value.fields)


def test_a_donation_drive_takes_gifts_without_rewards_anonymously(make_campaign, pledge, top_up, member, pickup_point):
    campaign = make_campaign(kind=Campaign.Kind.DONATION, goal="30.00")
    top_up(member, "30.00")
    gift = pledge(member, campaign, amount="25.00", extra_support="5.00", anonymous=True)
    assert gift.amount == Decimal("30.00") and gift.tier is None
    services.pledge_pay_with_wallet(member=member, pledge=gift)
    settle(campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SUCCEEDED


def test_members_who_have_not_backed_are_reminded_once_two_days_before_the_end(
        make_campaign, pledge, member, admin_member, leader, pickup_point):
    campaign = make_campaign(days=1)
    pledge(member, campaign)
    now = timezone.now()
    first = sweep_run("crowdfunding.remind_ending", now=now)
    again = sweep_run("crowdfunding.remind_ending", now=now + timedelta(hours=1))
    assert (first.settled, again.settled) == (1, 0)
    told = set(Notification.objects.filter(kind="campaign_ending").values_list("recipient_id", flat=True))
    assert member.user_id not in told and {admin_member.user_id, leader.user_id} <= told


def test_an_update_reaches_every_backer_and_settlement_tells_them_the_outcome(
        make_campaign, pledge, top_up, member, admin_member, owner, pickup_point):
    campaign = make_campaign(goal="50.00")
    top_up(member, "50.00")
    services.pledge_pay_with_wallet(member=member, pledge=pledge(member, campaign))
    services.update_post(actor=owner, campaign=campaign, title="In the oven", body="Baking on Saturday.")
    assert Notification.objects.filter(kind="campaign_update", recipient=member.user).count() == 1
    assert not Notification.objects.filter(kind="campaign_update", recipient=admin_member.user).exists()
    settle(campaign.deadline + timedelta(seconds=1))
    told = Notification.objects.get(kind="campaign_succeeded", recipient=member.user)
    pledge_row = campaign.pledges.get()
    assert pledge_row.pickup_code in told.body


def test_a_failed_campaign_owes_transfers_back_and_the_backer_is_told_when_an_admin_pays_them_back(
        make_campaign, pledge, member, owner, pickup_point):
    from orders.services import refunds_mark_paid_back

    campaign = make_campaign(goal="500.00")
    by_transfer = pledge(member, campaign)
    services.pledge_report_transfer(member=member, pledge=by_transfer, reference="alipay 889")
    services.pledges_mark_received(actor=owner, pledges=[by_transfer])
    settle(campaign.deadline + timedelta(seconds=1))
    owed = Refund.objects.get(charge=by_transfer.charge)
    assert owed.status == Refund.Status.TO_PAY_BACK and owed.reason == "campaign_failed"
    refunds_mark_paid_back(actor=owner, refunds=[owed], reference="wx back")
    told = Notification.objects.get(kind="refund_paid_back", recipient=member.user)
    assert campaign.title in told.body and told.url == campaign.get_absolute_url()


def test_a_settlement_that_dies_half_way_leaves_nothing_half_done_and_one_bad_campaign_blocks_no_other(
        make_campaign, pledge, top_up, member, admin_member, pickup_point, monkeypatch):
    from core.models import SweepFailure

    broken = make_campaign(goal="500.00", title="Broken")
    fine = make_campaign(goal="500.00", title="Fine")
    top_up(member, "100.00")
    services.pledge_pay_with_wallet(member=member, pledge=pledge(member, broken))
    services.pledge_pay_with_wallet(member=member, pledge=pledge(member, fine))
    real = services._tell_backers_settled

    def dies_on_broken(campaign, paid, kept):
        if campaign.title == "Broken":
            raise RuntimeError("worker killed")
        real(campaign, paid, kept)

    monkeypatch.setattr(services, "_tell_backers_settled", dies_on_broken)
    result = settle(broken.deadline + timedelta(seconds=1))
    assert (result.settled, result.failed) == (1, 1)
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.status == Campaign.Status.LIVE and fine.status == Campaign.Status.FAILED
    assert balance(member) == Decimal("50.00")  # only the fine campaign's refund
    assert set(broken.pledges.values_list("status", flat=True)) == {"paid"}
    failure = SweepFailure.objects.get(job="crowdfunding.settle_campaigns")
    assert "worker killed" in failure.last_error

    monkeypatch.setattr(services, "_tell_backers_settled", real)
    settle(failure.next_try_at + timedelta(seconds=1))
    broken.refresh_from_db()
    assert broken.status == Campaign.Status.FAILED and balance(member) == Decimal("100.00")
    assert not SweepFailure.objects.filter(job="crowdfunding.settle_campaigns").exists()


def test_a_pickup_reward_needs_a_pickup_point_before_launch(owner):
    campaign = services.campaign_create(actor=owner, title="Tea", goal="10",
                                        deadline=(timezone.now() + timedelta(days=2)).date().isoformat(),
                                        tiers=[services.TierSpec(title="Tin", amount="5")])
    with pytest.raises(Conflict) as refused:
        services.campaign_launch(actor=owner, campaign=campaign)
    assert refused.value.code == "no_pickup_point"


def test_the_cover_and_story_photos_are_checked_and_bounded(make_campaign, owner, pickup_point, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path

    def png():
        buffer = io.BytesIO()
        Image.new("RGB", (64, 64), "orange").save(buffer, "PNG")
        return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")

    campaign = make_campaign()
    services.campaign_set_cover(actor=owner, campaign=campaign, upload=png())
    assert campaign.cover.name.startswith("campaigns/")
    with pytest.raises(ValidationFailed):
        services.campaign_set_cover(actor=owner, campaign=campaign,
                                    upload=SimpleUploadedFile("x.png", b"not an image", content_type="image/png"))
    for _ in range(services.MAX_STORY_IMAGES):
        services.campaign_image_add(actor=owner, campaign=campaign, upload=png())
    with pytest.raises(ValidationFailed):
        services.campaign_image_add(actor=owner, campaign=campaign, upload=png())
    assert campaign.images.count() == services.MAX_STORY_IMAGES
