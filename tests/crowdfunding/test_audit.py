"""A campaign's life reads as sentences in the audit log, each action with its own."""

from datetime import timedelta

import pytest
from django.utils import translation

from core.audit import _SENTENCES, audit_sentence
from core.models import AuditLog
from core.sweeps import sweep_run
from crowdfunding import services

pytestmark = pytest.mark.django_db


def test_every_step_of_a_campaign_has_a_sentence(make_campaign, pledge, top_up, member, owner, pickup_point):
    owner.user.display_name = "王店长"
    owner.user.save(update_fields=["display_name"])
    member.user.display_name = "张三"
    member.user.save(update_fields=["display_name"])
    campaign = make_campaign(goal="50.00")
    services.campaign_update(actor=owner, campaign=campaign, values={"story": "Baked on Saturday"})
    top_up(member, "50.00")
    backed = pledge(member, campaign)
    services.pledge_pay_with_wallet(member=member, pledge=backed)
    services.update_post(actor=owner, campaign=campaign, title="Oven", body="Hot")
    sweep_run("crowdfunding.settle_campaigns", now=campaign.deadline + timedelta(seconds=1))
    services.reward_hand_out(actor=owner, pledge=backed, code=backed.pickup_code)
    entries = AuditLog.objects.filter(community=campaign.community, action__regex=r"^(campaign|pledge)")
    actions = {e.action for e in entries}
    assert {"campaign.created", "campaign.live", "campaign.changed", "pledge.paid", "campaignupdate.posted",
            "campaign.settling", "campaign.succeeded", "pledge.collected", "pledge.handed_out"} <= actions
    assert actions <= set(_SENTENCES)
    with translation.override("en"):
        sentences = {e.action: audit_sentence(e) for e in entries}
    assert sentences["pledge.paid"] == f"张三 paid pledge #{backed.pk}"
    assert sentences["pledge.handed_out"] == f"王店长 handed the reward of pledge #{backed.pk} to 张三"
    assert sentences["campaign.changed"] == f"王店长 changed campaign #{campaign.pk}: story"
