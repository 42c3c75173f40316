"""Shapes of the catalog API: input serializers check types only, output serializers render.

The rules (price not negative, stock, photo limits, names unique...) live in catalog.services.
Category and supplier ids are looked up among the current community's rows only (the
serializer's context carries the community), so another community's id reads as unknown.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from catalog.models import Category, Product, ProductImage, Supplier


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class SupplierRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


# Named for the schema explicitly: other apps render product photos too (and may reuse this one).
@extend_schema_serializer(component_name="CatalogProductImage")
class ProductImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("The photo, at most 1600 px on its longer side"))
    thumbnail_url = serializers.SerializerMethodField(help_text=_("At most 320 px on its longer side"))

    class Meta:
        model = ProductImage
        fields = ["id", "url", "thumbnail_url", "width", "height"]
        read_only_fields = fields

    def get_url(self, image) -> str:
        return _absolute(self.context.get("request"), image.image.url)

    def get_thumbnail_url(self, image) -> str:
        return _absolute(self.context.get("request"), image.thumbnail.url)


class ProductSerializer(serializers.ModelSerializer):
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True,
                                          help_text=_("A decimal string, in `currency`"))
    currency = serializers.SerializerMethodField(help_text=_("The community's currency (ISO 4217)"))
    stock = serializers.IntegerField(read_only=True, allow_null=True, help_text=_("Units available; null: unlimited"))
    category = CategoryRefSerializer(read_only=True, allow_null=True)
    supplier = SupplierRefSerializer(read_only=True, allow_null=True)
    consumption_cycle_days = serializers.IntegerField(read_only=True, allow_null=True,
                                                      help_text=_("How many days one unit lasts a household"))
    images = ProductImageSerializer(many=True, read_only=True, help_text=_("The first is the main photo"))

    class Meta:
        model = Product
        fields = ["id", "name", "description", "unit", "list_price", "currency", "stock", "category", "supplier",
                  "consumption_cycle_days", "is_active", "images", "updated_at"]
        read_only_fields = fields

    def get_currency(self, product) -> str:
        return self.context["community"].currency


class _ScopedField(serializers.PrimaryKeyRelatedField):
    """An id of one of the current community's rows (``related`` is the community's related name)."""

    related = ""

    def get_queryset(self):
        community = self.context.get("community")
        return getattr(community, self.related).all() if community is not None else self.queryset.none()


class ScopedCategoryField(_ScopedField):
    related = "categories"


class ScopedSupplierField(_ScopedField):
    related = "suppliers"


class ProductWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    unit = serializers.CharField(max_length=16, help_text=_("斤, 盒, 件, kg..."))
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2, help_text=_("Per unit, e.g. \"12.50\""))
    # The column's range only; "not negative" is the service's rule.
    stock = serializers.IntegerField(required=False, allow_null=True, max_value=2**31 - 1, min_value=-(2**31),
                                     help_text=_("Units available; null for unlimited"))
    category = ScopedCategoryField(required=False, allow_null=True, queryset=Category.objects.none(),
                                   help_text=_("A category id of this community, or null"))
    supplier = ScopedSupplierField(required=False, allow_null=True, queryset=Supplier.objects.none(),
                                   help_text=_("A supplier id of this community, or null"))
    consumption_cycle_days = serializers.IntegerField(required=False, allow_null=True, max_value=2**31 - 1,
                                                      min_value=-(2**31))
    is_active = serializers.BooleanField(required=False, help_text=_("On sale"))


class ProductImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text=_("JPEG, PNG or WebP, up to 5 MB"))


class CategorySerializer(serializers.ModelSerializer):
    product_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "position", "product_count", "updated_at"]
        read_only_fields = fields


class OptionalEmailField(serializers.EmailField):
    """An e-mail address that may be left blank: null then, since "" is not valid as `format: email`."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return value or None


class SupplierSerializer(serializers.ModelSerializer):
    email = OptionalEmailField(help_text=_("null when not given"))
    product_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Supplier
        fields = ["id", "name", "contact_name", "phone", "email", "notes", "product_count", "updated_at"]
        read_only_fields = fields



# Writes of categories and suppliers: types and column lengths only; the rules (required, unique
# names, positions, a valid e-mail) are catalog.services'.

class CategoryWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    position = serializers.IntegerField(required=False, min_value=-(2**31), max_value=2**31 - 1,
                                        help_text=_("Where it is shown: lower first (0 or more)"))


class SupplierWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    # A string checked by the service, so that "" (no address) is accepted like in the console.
    email = serializers.CharField(required=False, allow_blank=True, max_length=254,
                                  help_text=_("An e-mail address, or empty"))
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
