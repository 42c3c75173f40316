"""Shapes of the partner API: input serializers check types and column bounds only (the rules are
catalog.supplier_push's); output serializers show only the partner's own products, items and lines.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from catalog.models import Product, ProductImage
from catalog.supplier_push import MAX_PUSH_BATCH, SKU_MAX_LENGTH
from core.inputs import MAX_INT

SKU_REGEX = r"^[A-Za-z0-9._-]{1,64}$"


class AsciiIntegerField(serializers.IntegerField):
    """An integer typed in ASCII digits: int("１２") is 12 in Python, not here."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not data.isascii():
            self.fail("invalid")
        return super().to_internal_value(data)


class AsciiDecimalField(serializers.DecimalField):
    """A decimal typed in ASCII digits: Decimal("１２") is 12 in Python, not here."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not data.isascii():
            self.fail("invalid")
        return super().to_internal_value(data)


def _units(**kwargs):
    # The column's range; the rules (0 to catalog's MAX_STOCK) are the service's.
    return AsciiIntegerField(required=False, allow_null=True, min_value=-MAX_INT - 1, max_value=MAX_INT, **kwargs)


# Communities -----------------------------------------------------------------------------------

class PartnerCommunityRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    currency = serializers.CharField(read_only=True, help_text=_("ISO 4217; prices are in it"))


class PartnerConnectionSerializer(serializers.Serializer):
    community = PartnerCommunityRefSerializer(read_only=True)
    status = serializers.CharField(read_only=True)
    review_products = serializers.BooleanField(
        read_only=True, help_text=_("Pushed products wait for an admin's approval before they can be sold"))


# Products --------------------------------------------------------------------------------------

class PartnerProductImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["id", "url", "thumbnail_url", "width", "height", "position"]
        read_only_fields = fields

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_url(self, image) -> str:
        return self._absolute(image.image.url)

    def get_thumbnail_url(self, image) -> str:
        return self._absolute(image.thumbnail.url)


class PartnerProductSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="supplier_sku", read_only=True)
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True,
                                          help_text=_("The partner's price suggestion, in the community's currency"))
    stock = serializers.IntegerField(read_only=True, allow_null=True,
                                     help_text=_("Units left for new rounds; null: unlimited"))
    low_stock_threshold = serializers.IntegerField(read_only=True, allow_null=True)
    consumption_cycle_days = serializers.IntegerField(read_only=True, allow_null=True)
    review = serializers.ChoiceField(choices=Product.Review.choices, read_only=True)
    on_sale = serializers.BooleanField(source="is_active", read_only=True)
    images = PartnerProductImageSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = ["id", "sku", "name", "description", "unit", "list_price", "stock", "low_stock_threshold",
                  "consumption_cycle_days", "review", "on_sale", "images", "created_at", "updated_at"]
        read_only_fields = fields


class PartnerProductPushSerializer(serializers.Serializer):
    """A product as the partner sends it. A new SKU needs name, unit and list_price; an update
    changes only the fields sent."""

    name = serializers.CharField(required=False, max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    unit = serializers.CharField(required=False, max_length=16, help_text=_("斤, 盒, 件, kg..."))
    list_price = AsciiDecimalField(required=False, max_digits=12, decimal_places=2,
                                   help_text=_("The partner's price suggestion per unit, e.g. \"12.50\""))
    consumption_cycle_days = _units(help_text=_("How many days one unit lasts a household (1 to 3650)"))
    stock = _units(help_text=_("Units the partner can still supply to new rounds; null: unlimited"))
    low_stock_threshold = _units(help_text=_("product.low_stock is sent when stock falls to this or below"))
    available = serializers.BooleanField(
        required=False, help_text=_("false takes the product off sale; true offers it (on sale once approved)"))


class PartnerProductBatchItemSerializer(PartnerProductPushSerializer):
    sku = serializers.RegexField(SKU_REGEX, max_length=SKU_MAX_LENGTH)


class PartnerProductBatchSerializer(serializers.Serializer):
    products = PartnerProductBatchItemSerializer(many=True, allow_empty=False, max_length=MAX_PUSH_BATCH)


class PartnerProductBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    products = PartnerProductSerializer(many=True)


class PartnerStockSerializer(serializers.Serializer):
    stock = AsciiIntegerField(allow_null=True, min_value=-MAX_INT - 1, max_value=MAX_INT,
                              help_text=_("Units the partner can still supply to new rounds (absolute); null: "
                                          "unlimited"))


class PartnerImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text=_("JPEG, PNG or WebP, up to 5 MB"))


# Rounds ----------------------------------------------------------------------------------------

class PartnerPickupPointSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    address = serializers.CharField(read_only=True)


class PartnerRoundItemSerializer(serializers.Serializer):
    item_id = serializers.IntegerField(source="pk", read_only=True)
    product_id = serializers.IntegerField(read_only=True)
    sku = serializers.CharField(source="product.supplier_sku", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)
    unit = serializers.CharField(source="product.unit", read_only=True)
    group_price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    quantity_on_offer = serializers.IntegerField(read_only=True)
    quantity_sold = serializers.IntegerField(read_only=True)


class PartnerRoundSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    opens_at = serializers.DateTimeField(read_only=True)
    closes_at = serializers.DateTimeField(read_only=True)
    expected_pickup_at = serializers.DateTimeField(read_only=True, allow_null=True)
    allows_delivery = serializers.BooleanField(read_only=True)
    pickup_points = PartnerPickupPointSerializer(many=True, read_only=True)
    items = PartnerRoundItemSerializer(source="partner_items", many=True, read_only=True,
                                help_text=_("Only the partner's own products"))
    updated_at = serializers.DateTimeField(read_only=True)


class PartnerOrderLineSerializer(serializers.Serializer):
    line_id = serializers.IntegerField(source="pk", read_only=True)
    order_id = serializers.IntegerField(read_only=True)
    order_status = serializers.CharField(source="order.status", read_only=True)
    refunded = serializers.SerializerMethodField(help_text=_("The order was refunded: nothing to supply"))
    fulfilment = serializers.CharField(source="order.fulfilment", read_only=True)
    pickup_point = PartnerPickupPointSerializer(source="order.pickup_point", read_only=True, allow_null=True)
    delivery_address = serializers.SerializerMethodField(help_text=_("Delivery orders only"))
    member_name = serializers.CharField(source="order.member.display_name", read_only=True)
    product_id = serializers.IntegerField(read_only=True)
    sku = serializers.CharField(source="product.supplier_sku", read_only=True)
    name = serializers.CharField(read_only=True, help_text=_("As when the order was placed"))
    unit = serializers.CharField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    paid_at = serializers.DateTimeField(source="order.paid_at", read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(source="order.updated_at", read_only=True)

    def get_refunded(self, line) -> bool:
        return line.order.status == "refunded"

    def get_delivery_address(self, line) -> str | None:
        order = line.order
        return order.delivery_address if order.fulfilment == "delivery" else None


class PartnerSheetPointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    quantity = serializers.IntegerField()


class PartnerSheetProductSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    total_quantity = serializers.IntegerField()
    pickup_points = PartnerSheetPointSerializer(many=True)
    delivery_quantity = serializers.IntegerField()


class PartnerPurchaseSheetSerializer(serializers.Serializer):
    round_id = serializers.IntegerField()
    status = serializers.CharField()
    products = PartnerSheetProductSerializer(many=True)
