"""Crowdfunding demo for `make run`: a live mooncake pre-sale near its goal, a finished tea campaign
whose rewards wait at the pickup point, and (once collections are loaded) a split bill half paid.
Everything goes through the services; returns False when already loaded.

The finished campaign is made as any other and backed, then its deadline is moved into the past
(the one write here that skips a service: a demo cannot wait a week) and the settlement sweep
settles it as it would have.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from communities.models import Membership
from core.sweeps import sweep_run
from crowdfunding import services
from crowdfunding.models import Campaign
from payments import services as payments


def load_crowdfunding_demo(community) -> bool:
    if Campaign.objects.filter(community=community).exists():
        return False
    owner = Membership.objects.select_related("community", "user").get(community=community, role="owner")
    backers = list(Membership.objects.select_related("community", "user", "branch")
                   .filter(community=community, status="active").exclude(role="owner").order_by("pk"))
    point = community.pickup_points.filter(is_active=True).order_by("pk").first()
    today = timezone.localtime(timezone.now()).date()
    with transaction.atomic():
        for backer in backers:
            payments.wallet_top_up(actor=owner, member_user=backer.user, amount=Decimal("500.00"),
                                   note="演示充值（众筹）", key=f"demo-cf-{backer.user_id}")
        mooncakes = services.campaign_create(
            actor=owner, title="中秋手工月饼预售：凑满 1000 元开炉",
            story="小区烘焙达人陈阿姨的手工月饼，莲蓉蛋黄、五仁、豆沙三种口味。\n"
                  "凑满 1000 元就开炉，没凑满全额退回钱包。预订越多，每盒越便宜。",
            goal="1000.00", deadline=(today + timedelta(days=5)).isoformat(),
            tiers=[services.TierSpec(title="一盒 6 枚", amount="88.00", quantity_limit=30,
                                     description="三种口味各两枚，礼盒装。",
                                     estimated_delivery=(today + timedelta(days=10)).isoformat(),
                                     price_steps=[(10, "80.00"), (20, "75.00")]),
                   services.TierSpec(title="两盒装 + 手写贺卡", amount="168.00", quantity_limit=10,
                                     description="送亲友正合适。", fulfilment="shipping")])
        services.campaign_launch(actor=owner, campaign=mooncakes)
        box = mooncakes.tiers.order_by("position").first()
        for index, backer in enumerate(backers):
            pledge, _created = services.pledge_place(
                member=backer, campaign=mooncakes, tier_id=box.pk, quantity=3, extra_support="6.00" if index else "0",
                anonymous=index == 1, pickup_point_id=point.pk if point else None,
                idempotency_key=f"demo-cf-moon-{backer.user_id}")
            services.pledge_pay_with_wallet(member=backer, pledge=pledge)
        services.update_post(actor=owner, campaign=mooncakes, title="馅料已备好",
                             body="莲蓉和豆沙馅今天熬好了，凑满就开炉，谢谢大家支持！")

        tea = services.campaign_create(
            actor=owner, title="春茶众筹：明前龙井", story="团长老家的茶园，明前头采。已成功，茶叶到自提点后凭取货码领取。",
            goal="250.00", deadline=(today + timedelta(days=1)).isoformat(),
            tiers=[services.TierSpec(title="龙井 100 克", amount="98.00", description="铁罐装。")])
        services.campaign_launch(actor=owner, campaign=tea)
        for backer in backers:
            pledge, _created = services.pledge_place(
                member=backer, campaign=tea, tier_id=tea.tiers.get().pk, pickup_point_id=point.pk if point else None,
                idempotency_key=f"demo-cf-tea-{backer.user_id}")
            services.pledge_pay_with_wallet(member=backer, pledge=pledge)
    Campaign.objects.filter(pk=tea.pk).update(deadline=timezone.now() - timedelta(hours=1))
    sweep_run("crowdfunding.settle_campaigns")
    _load_split_bill(backers)
    return True


def _load_split_bill(backers) -> None:
    """张三 splits the barbecue's ¥300 among the neighbours; he has paid, and for the leader too (代付)."""
    from crowdfunding import collections

    organizer = next((m for m in backers if m.user.phone == "13800000003"), backers[0])
    people = Membership.objects.filter(community=organizer.community, status="active").order_by("pk")
    bill = collections.collection_create(
        organizer=organizer, title="周六楼顶烧烤 AA", description="肉串、饮料和炭火，¥300 大家平摊。",
        split="even", total="300.00", participant_ids=[m.user_id for m in people], idempotency_key="demo-bbq")
    shares = {s.participant_id: s for s in bill.shares.all()}
    collections.share_pay_with_wallet(payer=organizer, share=shares[organizer.user_id])
    other = next(m for m in backers if m.pk != organizer.pk)
    collections.share_pay_with_wallet(payer=organizer, share=shares[other.user_id])
