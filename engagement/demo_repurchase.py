"""Demo data for repurchase prompts: makes a member due for one (engagement/demo.py calls
``seed_repurchase_due``).

Everything goes through the services (a product with a consumption cycle, a round, the member's
order, paid, handed over), then the purchase's dates are moved into the past: a demo cannot wait
for eggs to run out. An open round sells the product again, so the next run of the
``engagement.repurchase_prompts`` sweep (hourly, from 10:00 in the community's timezone) prompts
the member; ``seed_repurchase_due(..., send=True)`` sends it at once.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog import services as catalog
from communities.models import Membership
from orders import services as orders
from orders.models import GroupBuy, Order

PRODUCT = "土鸡蛋 30 枚"
CYCLE_DAYS = 10
DAYS_AGO = 9  # one box lasts 10 days; reminded 15% early: due about half a day ago


def seed_repurchase_due(community, member: Membership, *, send: bool = False):
    """Make ``member`` due for a repurchase prompt; returns the open round that sells the product
    (None when the demo is loaded already). ``send``: run the prompt for them now."""
    owner = Membership.objects.select_related("community", "user").get(community=community, role="owner")
    member = Membership.objects.select_related("community", "user", "branch").get(pk=member.pk)
    if community.products.filter(name=PRODUCT).exists():
        return None
    point = community.pickup_points.filter(is_active=True, branch__isnull=True).order_by("pk").first() \
        or orders.pickup_point_save(actor=owner, name="社区服务中心", address="小区南门服务中心")
    now = timezone.now()
    with transaction.atomic():
        eggs = catalog.product_create(actor=owner, name=PRODUCT, unit="盒", list_price=Decimal("39.00"),
                                      description="散养土鸡蛋，一盒 30 枚，一家三口大约吃 10 天。",
                                      consumption_cycle_days=CYCLE_DAYS)
        from catalog.services import product_image_add
        from orders.demo import _fruit_photo  # the demo's drawn photos: an egg on straw

        product_image_add(actor=owner, product=eggs,
                          upload=_fruit_photo("#f3e5ab", "#fff3e0", leaf="#f3e5ab", name="eggs.png"))
        item = orders.ItemSpec(product_id=eggs.pk, group_price=Decimal("32.00"), quantity_on_offer=200,
                               per_member_limit=5)
        past = orders.group_buy_create(actor=owner, title="上周土鸡蛋团", opens_at=now - timedelta(minutes=5),
                                       closes_at=now + timedelta(hours=1), pickup_point_ids=[point.pk], items=[item])
        order, _created = orders.order_place(member=member, group_buy=past, lines=[(past.items.get().pk, 1)],
                                             idempotency_key="demo-repurchase-eggs", pickup_point_id=point.pk)
        orders.payments_mark_received(actor=owner, orders=[order])
    # The round closes (its closing time moved to now), the eggs arrive and are handed over.
    GroupBuy.objects.filter(pk=past.pk).update(closes_at=timezone.now())
    orders.group_buy_close_due(now=timezone.now() + timedelta(seconds=1))
    orders.group_buy_mark_arrived(actor=owner, group_buy=past)
    order.refresh_from_db()
    orders.order_complete(actor=owner, order=order, code=order.pickup_code)
    # ...nine days ago.
    bought = now - timedelta(days=DAYS_AGO)
    Order.objects.filter(pk=order.pk).update(created_at=bought - timedelta(days=2), paid_at=bought - timedelta(days=2),
                                             completed_at=bought)
    GroupBuy.objects.filter(pk=past.pk).update(opens_at=bought - timedelta(days=3), closes_at=bought - timedelta(days=1))
    this_week = orders.group_buy_create(
        actor=owner, title="本周土鸡蛋团", opens_at=now - timedelta(minutes=5), closes_at=now + timedelta(days=3),
        pickup_point_ids=[point.pk], items=[orders.ItemSpec(product_id=eggs.pk, group_price=Decimal("32.00"),
                                                            quantity_on_offer=200, per_member_limit=5)])
    if send:
        from engagement import repurchase

        found = repurchase.due_prompts(timezone.now(), community_id=community.pk, member_id=member.user_id)
        if found:
            repurchase.repurchase_prompt_send(due=found[0])
    return this_week
