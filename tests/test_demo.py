"""The demo `make run` loads is what the README promises a newcomer (issue 8): photos on the products,
a receiving QR and instructions for transfers, wallets that can pay for the demo round."""

import pytest
from django.core.management import call_command

from communities.models import Community, Membership
from orders import selectors

pytestmark = pytest.mark.django_db


def test_the_demo_shows_photos_a_receiving_qr_and_wallets_that_can_pay(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    community = Community.objects.get(slug="sunny-garden")
    assert community.payment_qr and community.payment_instructions
    assert all(product.images.exists() for product in community.products.all())
    round_ = community.group_buys.filter(mode="normal").order_by("pk").first()  # the selling demo's fruit round
    cheapest = min(item.group_price for item in round_.items.all())
    for membership in Membership.objects.filter(community=community, role="member"):
        assert selectors.wallet_of(membership).balance >= cheapest
    member = Membership.objects.get(community=community, user__phone="13800000003")
    client.force_login(member.user)
    page = client.get(round_.get_absolute_url()).content.decode()
    assert "/media/products/" in page
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # idempotent
    assert community.products.get(name__startswith="海南").images.count() == 1


def test_the_demo_has_a_live_campaign_near_its_goal_and_a_finished_one_with_rewards_to_pick_up(settings, tmp_path):
    from crowdfunding.models import Campaign
    from crowdfunding.services import campaign_totals

    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    community = Community.objects.get(slug="sunny-garden")
    live = community.campaigns.get(status=Campaign.Status.LIVE)
    raised = campaign_totals(live).raised
    assert live.goal * 6 / 10 <= raised < live.goal
    finished = community.campaigns.get(status=Campaign.Status.SUCCEEDED)
    assert set(finished.pledges.values_list("status", flat=True)) == {"collected"}
    bill = community.collections.get()
    paid = bill.shares.filter(status="paid").count()
    assert 0 < paid < bill.shares.count() and sum(s.amount for s in bill.shares.all()) == bill.total
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # idempotent
    assert community.campaigns.count() == 2 and community.collections.count() == 1


def test_the_demo_has_a_full_event_with_a_waitlist_and_a_past_one_with_no_shows(settings, tmp_path):
    from engagement.event_selectors import attendance
    from engagement.models import RSVP

    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    community = Community.objects.get(slug="sunny-garden")
    zhang = Membership.objects.get(community=community, user__phone="13800000003")
    tasting = community.events.get(capacity=2)
    assert tasting.seats_taken == 2
    assert RSVP.objects.get(event=tasting, member=zhang.user).status == RSVP.Status.WAITLISTED
    past = community.events.filter(ends_at__lt=tasting.starts_at).order_by("starts_at").first()
    counts = attendance(past)
    assert counts["checked_in"] >= 1 and counts["no_shows"] == 1
    assert set(community.polls.values_list("status", flat=True)) == {"open", "closed"}
    article = community.posts.get(features__group_buy__isnull=False)
    assert article.status == "published" and article.like_count >= 2 and article.comment_count == 2
    assert community.posts.filter(pinned_at__isnull=False).count() == 1
    from engagement import levels, points

    account = points.account_of(zhang)
    assert account.balance >= 10 + 3  # last week's tasting and three check-ins
    assert levels.level_for(account.lifetime, levels.levels_of(community))[0].name == "铁粉"
    assert points.current_streak(zhang) == 3
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # idempotent
    assert community.events.count() == 3 and community.polls.count() == 2 and community.posts.count() == 2
