"""Selling demo for `make run`: products with photos, pickup points, a receiving QR, wallets, a
threshold round with price tiers, and a team purchase, all made through the services. Returns
False when already loaded.

The photos and the receiving QR are drawn here (nothing is downloaded): simple illustrations, and
a QR that says it is a demo, so that the pages show them as a real community's would.
"""

import io
import math
from datetime import timedelta
from decimal import Decimal

import qrcode
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from django.db import transaction
from django.utils import timezone

from catalog.models import Category, Product, Supplier
from catalog.services import product_image_add
from communities.models import Membership
from communities.services import community_update
from orders import services
from orders.models import GroupBuy
from payments import services as payments


def _png(image: Image.Image, name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _fruit_photo(background, fruit, spots=None, leaf="#4caf50", shape="ellipse", name="photo.png"):
    """An 800×800 illustration: a fruit (or a bunch of leaves) on a soft background."""
    image = Image.new("RGB", (800, 800), background)
    draw = ImageDraw.Draw(image)
    if shape == "leaves":
        for angle in range(0, 360, 45):
            x, y = 400 + 170 * math.cos(math.radians(angle)), 420 + 170 * math.sin(math.radians(angle))
            draw.ellipse((x - 120, y - 70, x + 120, y + 70), fill=fruit, outline="#2e7d32", width=6)
        draw.ellipse((330, 350, 470, 490), fill="#c5e1a5")
    else:
        draw.ellipse((170, 190, 630, 650), fill=fruit)
        draw.polygon([(400, 200), (470, 110), (520, 150)], fill=leaf)
        for x, y in spots or ():
            draw.ellipse((x - 9, y - 14, x + 9, y + 14), fill="#fff59d")
    return _png(image, name)


def _receiving_qr() -> SimpleUploadedFile:
    image = qrcode.make("SHEQUN DEMO - 演示收款码，不能付款 / demo receiving code, not payable").convert("RGB")
    return _png(image, "demo-receiving-qr.png")


def load_selling_demo(community) -> bool:
    if community.group_buys.exists():
        return False
    owner = Membership.objects.select_related("community", "user").get(community=community, role="owner")
    leader = Membership.objects.select_related("user").filter(community=community, role="leader").first()
    members = list(Membership.objects.select_related("community", "user").filter(community=community, role="member"))
    with transaction.atomic():
        community_update(actor=owner, payment_instructions=(
            "微信转账给王店长（微信号 sunny-garden-wang），备注“订单号 + 楼号”。演示收款码不能真的付款。"),
            payment_qr=_receiving_qr())
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
        spots = [(x, y) for x in range(260, 560, 70) for y in range(300, 600, 80) if (x - 400) ** 2 + (y - 420) ** 2 < 190 ** 2]
        for product, photo in zip(products, (
                _fruit_photo("#fff3e0", "#ffb300", name="mango.png"),
                _fruit_photo("#fce4ec", "#e53935", spots=spots, name="strawberry.png"),
                _fruit_photo("#f1f8e9", "#66bb6a", shape="leaves", name="greens.png"))):
            product_image_add(actor=owner, product=product, upload=photo)
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
