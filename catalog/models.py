from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class Category(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=60)
    position = models.PositiveIntegerField(_("position"), default=0)
    # For clients that sync (?updated_since=).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="uniq_category_name")]

    def __str__(self):
        return self.name


class Supplier(models.Model):
    """Where a product comes from: a farm, a wholesaler, a partner shop (which may use the API)."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="suppliers")
    name = models.CharField(_("name"), max_length=80)
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="uniq_supplier_name")]

    def __str__(self):
        return self.name


class Product(models.Model):
    class Review(models.TextChoices):
        APPROVED = "approved", _("Approved")
        PENDING = "pending", _("Waiting for review")
        REJECTED = "rejected", _("Rejected")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="products")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unit"), max_length=16, help_text=_("斤, 盒, 件, kg..."))
    list_price = models.DecimalField(_("list price"), **MONEY)
    # None: unlimited. Publishing a group-buy reserves its quantity on offer from here.
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products",
                                 verbose_name=_("category"))
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="products",
                                 verbose_name=_("supplier"))
    # How many days one unit lasts a household: drives repurchase prompts.
    consumption_cycle_days = models.PositiveIntegerField(_("consumption cycle (days)"), null=True, blank=True)
    is_active = models.BooleanField(_("on sale"), default=True)
    # A product a partner shop pushed (keyed by its SKU) may wait for an admin before it is sold.
    supplier_sku = models.CharField(_("supplier's SKU"), max_length=64, blank=True)
    review = models.CharField(_("review"), max_length=10, choices=Review.choices, default=Review.APPROVED)
    # The supplier hears (product.low_stock) when a reservation leaves this many units or fewer.
    low_stock_threshold = models.PositiveIntegerField(_("low stock at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=Q(consumption_cycle_days__isnull=True) | Q(consumption_cycle_days__gt=0),
                                   name="product_cycle_positive"),
            models.UniqueConstraint(fields=["community", "supplier", "supplier_sku"], condition=~Q(supplier_sku=""),
                                    name="uniq_product_supplier_sku"),
            models.CheckConstraint(condition=Q(review="approved") | Q(is_active=False),
                                   name="product_on_sale_is_approved"),
        ]
        indexes = [models.Index(fields=["community", "is_active", "name"]),
                   # Clients that sync (?updated_since=): the products API, partner systems.
                   models.Index(fields=["community", "updated_at"], name="product_updated")]

    def __str__(self):
        return self.name

    @property
    def main_image(self):
        images = getattr(self, "_prefetched_objects_cache", {}).get("images")
        if images is not None:
            return images[0] if images else None
        return self.images.first()


class ProductImage(models.Model):
    """A product photo: validated and re-encoded without EXIF, with a small thumbnail for lists."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="products/%Y/%m/")
    thumbnail = models.ImageField(upload_to="products/thumbs/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["community", "product"])]
