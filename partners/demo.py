"""Demo partner shop for `make run`: 青山果园 (already the demo community's fruit supplier) has signed
up, is connected to the community with pushed products reviewed, holds an API key (printed once by
seed_demo) and has a webhook endpoint (switched off: nothing listens at its address)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import Product, Supplier
from catalog.services import add_image
from orders.demo import _fruit_photo
from partners import services
from partners.models import Connection, Partner, Scope, WebhookEndpoint

PARTNER_PHONE = "13900001111"
PARTNER_SLUG = "qingshan-farm"
SKUS = {"海南金煌芒 5斤装": "QS-MANGO-5", "丹东99草莓 2斤": "QS-STRAW-2"}


def load_partner_demo(community, *, password: str) -> str | None:
    """Load once; the demo key (shown once) when it was made now, else None."""
    if Partner.objects.filter(slug=PARTNER_SLUG).exists():
        return None
    supplier = Supplier.objects.filter(community=community, name="青山果园").first()
    if supplier is None:
        return None
    with transaction.atomic():
        user = User.objects.filter(phone=PARTNER_PHONE).first() or User.objects.create_user(
            phone=PARTNER_PHONE, email="farm@demo.shequn.local", password=password, display_name="刘老板")
        partner = services.partner_create(user=user, name="青山果园", contact_phone=PARTNER_PHONE,
                                          description="海南、丹东直采水果，48 小时内到团长自提点。")
        Partner.objects.filter(pk=partner.pk).update(slug=PARTNER_SLUG)
        partner.refresh_from_db()
        staff = partner.staff.get()
        # The community's existing supplier row becomes the partner's: its products are the partner's.
        Connection.objects.create(partner=partner, community=community, status=Connection.Status.ACTIVE,
                                  supplier=supplier, review_products=True, message="我们是阳光花园的老供应商。",
                                  requested_by=user, decided_at=timezone.now())
        for name, sku in SKUS.items():
            Product.objects.filter(community=community, supplier=supplier, name=name).update(supplier_sku=sku)
        # Pushed by its ERP this morning: waits for an admin (console → 合作商家 → 待审核商品).
        cherries = Product.objects.create(community=community, supplier=supplier, supplier_sku="QS-CHERRY-2",
                                          name="智利车厘子 JJ 级 2斤", unit="盒", list_price="99.00", stock=120,
                                          consumption_cycle_days=7, review=Product.Review.PENDING, is_active=False)
        add_image(community=community, product=cherries, upload=_fruit_photo("#fbe9e7", "#8e0000", name="cherries.png"),
                  partner=partner.name, sku="QS-CHERRY-2")
        _key, raw = services.api_key_create(actor=staff, name="ERP 对接", scopes=list(Scope.values))
        WebhookEndpoint.objects.create(partner=partner, url="https://erp.qingshan.example/shequn/webhooks",
                                       description="ERP", events=["order.paid", "round.succeeded", "round.closed"],
                                       is_active=False)
    return raw
