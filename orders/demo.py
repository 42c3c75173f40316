"""Selling demo for `make run`: products, pickup points, wallets, a threshold round with price
tiers, and a team purchase, all made through the services. Returns False when already loaded."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog.models import Category, Product, Supplier
from communities.models import Membership
from orders import services
from orders.models import GroupBuy
from payments import services as payments


def load_selling_demo(community) -> bool:
    if community.group_buys.exists():
        return False
    owner = Membership.objects.select_related("community", "user").get(community=community, role="owner")
    leader = Membership.objects.select_related("user").filter(community=community, role="leader").first()
    members = list(Membership.objects.select_related("community", "user").filter(community=community, role="member"))
    with transaction.atomic():
        community.payment_instructions = "微信转账给王店长（微信号 sunny-garden-wang），备注“订单号 + 楼号”。"
        community.save(update_fields=["payment_instructions"])
        fruit = Category.objects.create(community=community, name="水果", position=1)
        veg = Category.objects.create(community=community, name="蔬菜", position=2)
        farm = Supplier.objects.create(community=community, name="青山果园", contact_name="刘老板", phone="13900001111")
        greens = Supplier.objects.create(community=community, name="城郊蔬菜基地", contact_name="周经理")
        products = [
            Product.objects.create(community=community, name="海南金煌芒 5斤装", unit="箱", list_price=Decimal("59.00"),
                                   stock=500, category=fruit, supplier=farm, consumption_cycle_days=5,
                                   description="树上熟，香甜少纤维。"),
            Product.objects.create(community=community, name="丹东99草莓 2斤", unit="盒", list_price=Decimal("88.00"),
                                   stock=200, category=fruit, supplier=farm, consumption_cycle_days=3),
            Product.objects.create(community=community, name="有机小油菜 1斤", unit="份", list_price=Decimal("9.90"),
                                   category=veg, supplier=greens, consumption_cycle_days=3),
        ]
        gate = services.pickup_point_save(actor=owner, name="一期东门快递柜旁", address="阳光花园一期东门",
                                          hours="每天 17:00-21:00", leader=leader.user if leader else owner.user,
                                          branch=leader.branch if leader else None)
        hall = services.pickup_point_save(actor=owner, name="二期物业大厅", address="阳光花园二期 8 栋一楼",
                                          hours="每天 9:00-20:00", leader=owner.user)
        now = timezone.now()
        fruit_round = services.group_buy_create(
            actor=owner, title="周末水果接龙：金煌芒 + 草莓", description="满 20 份成团，买得越多越便宜。周一到货。",
            opens_at=now - timedelta(hours=2), closes_at=now + timedelta(days=2),
            expected_pickup_at=now + timedelta(days=3), pickup_point_ids=[gate.pk, hall.pk],
            allows_delivery=True, delivery_fee=Decimal("5.00"),
            success_rule=GroupBuy.SuccessRule.MIN_QUANTITY, success_threshold=Decimal("20"),
            commission_rate=Decimal("0.05"),
            items=[services.ItemSpec(product_id=products[0].pk, group_price=Decimal("45.00"), quantity_on_offer=100,
                                     per_member_limit=5, tiers=((30, Decimal("42.00")), (60, Decimal("39.00")))),
                   services.ItemSpec(product_id=products[1].pk, group_price=Decimal("69.00"), quantity_on_offer=50,
                                     per_member_limit=3)])
        services.group_buy_create(
            actor=owner, title="拼团：有机小油菜 3 人成团", description="3 人付款即成团，24 小时内有效。",
            opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=3), pickup_point_ids=[gate.pk],
            mode=GroupBuy.Mode.TEAM, team_size=3, commission_rate=Decimal("0.03"),
            items=[services.ItemSpec(product_id=products[2].pk, group_price=Decimal("6.90"), quantity_on_offer=300)])
        for index, membership in enumerate(members + ([leader] if leader else [])):
            payments.wallet_top_up(actor=owner, member_user=membership.user, amount=Decimal("200.00"),
                                   note="演示充值", key=f"demo-{membership.user_id}")
            if index < 2:
                order, _created = services.order_place(
                    member=membership, group_buy=fruit_round, lines=[(fruit_round.items.first().pk, 2 + index)],
                    idempotency_key=f"demo-order-{membership.user_id}", pickup_point_id=gate.pk)
                services.order_pay_with_wallet(member=membership, order=order)
    return True
