"""Writes a partner shop's system makes to a community's catalog: its products, keyed by its own SKU.

These are the only writers for pushes (the partner API calls them). There is no Membership
actor: the caller (partners.api) has already resolved the partner's active connection, and passes
the community, the connection's supplier, whether the community reviews pushed products, and the
partner's name for the audit log (written with ``actor=None`` and ``partner=<name>``).

- ``product_push`` creates or updates the product (community, supplier, SKU): sending the same
  SKU twice changes the one product; two pushes of a new SKU racing each other also end in one
  product (the unique constraint ``uniq_product_supplier_sku`` refuses the second insert, which
  then updates the row the first made).
- A community that reviews pushed products gets new ones ``pending`` and off sale; only
  ``catalog.services.product_review`` puts them on sale. The partner can take its approved
  products off sale and back on (``available``), never put a pending or rejected one on sale.
  A rejected product the partner changes goes back to the admins (``pending``).
- ``product_set_stock`` sets the units the partner can still supply to new rounds (absolute,
  so a retry is harmless). Publishing a round reserves its quantity on offer from that number
  (catalog.services.product_reserve_stock), so rounds already published are not counted in it.

Values are cleaned by catalog.services' own field checks, bounded by their columns.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import services as catalog
from catalog.models import Product, ProductImage, Supplier
from communities.models import Community
from core.audit import audit_record
from core.exceptions import Conflict, NotFound, ValidationFailed

SKU_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)
SKU_MAX_LENGTH = 64
PUSH_FIELDS = ("name", "description", "unit", "list_price", "consumption_cycle_days", "stock",
               "low_stock_threshold", "available")
# Checked by catalog.services._clean_product_fields; the others here.
_CATALOG_FIELDS = ("name", "description", "unit", "list_price", "consumption_cycle_days", "stock")
_TEXT_FIELDS = ("name", "description", "unit")
MAX_PUSH_BATCH = 100


def _sku_error() -> str:
    return _("A SKU is 1 to %(max)s characters: letters A-Z, digits 0-9, dot, hyphen or underscore.") % {
        "max": SKU_MAX_LENGTH}


def clean_sku(sku) -> str:
    """The partner's SKU as given, or a 400 on ``sku`` (no trimming: it is the partner's key)."""
    if not isinstance(sku, str) or not SKU_PATTERN.fullmatch(sku):
        message = _sku_error()
        raise ValidationFailed(message, code="invalid_sku", fields={"sku": [message]})
    return sku


def _check_supplier(community: Community, supplier: Supplier) -> None:
    if supplier is None or supplier.community_id != community.pk:
        raise NotFound(_("Product not found."), code="product_not_found")


def _clean_push_fields(community: Community, fields: dict, *, creating: bool) -> dict:
    """Cleaned values of the fields given (name, unit and list_price required when creating)."""
    unknown = set(fields) - set(PUSH_FIELDS)
    if unknown:
        raise TypeError(f"unknown push fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    given = {key: fields[key] for key in _CATALOG_FIELDS if key in fields}
    for key in _TEXT_FIELDS:  # PostgreSQL refuses NUL in text; say so rather than fail
        if isinstance(given.get(key), str) and "\x00" in given[key]:
            errors[key] = [_("Null characters are not allowed.")]
            given.pop(key)
    price = given.get("list_price")
    if isinstance(price, str) and not price.isascii():  # Decimal("１２") would read 12
        errors["list_price"] = [_("Enter a price such as 12.50.")]
        given["list_price"] = None
    values: dict = {}
    try:
        values = catalog._clean_product_fields(community, given, creating=creating)
    except ValidationFailed as exc:
        for key, messages in exc.fields.items():
            errors.setdefault(key, messages)
    if "low_stock_threshold" in fields:
        values["low_stock_threshold"] = catalog._whole_number(
            fields["low_stock_threshold"], field="low_stock_threshold", errors=errors, minimum=0,
            maximum=catalog.MAX_STOCK,
            message=_("Enter a number of units between 0 and %(max)s, or leave it empty.") % {
                "max": f"{catalog.MAX_STOCK:,}"})
    if "available" in fields:
        if not isinstance(fields["available"], bool):
            errors["available"] = [_("Give true or false.")]
        else:
            values["available"] = fields["available"]
    catalog._fail(errors)
    return values


def _find(community: Community, supplier: Supplier, sku: str, *, lock: bool = False) -> Product | None:
    products = Product.objects.filter(community=community, supplier=supplier, supplier_sku=sku)
    if lock:
        products = products.select_for_update(of=("self",))
    return products.first()


def _create(community: Community, supplier: Supplier, sku: str, values: dict, *, review_required: bool,
            partner_name: str) -> Product:
    available = values.pop("available", True)
    if review_required:
        review, is_active = Product.Review.PENDING, False
    else:
        review, is_active = Product.Review.APPROVED, available
    product = Product(community=community, supplier=supplier, supplier_sku=sku, review=review, is_active=is_active,
                      **values)
    product.save()
    audit_record(community=community, actor=None, action="product.created", obj=product, name=product.name,
                 list_price=str(product.list_price), stock=product.stock, partner=partner_name, sku=sku,
                 review=review)
    return product


def _update(product: Product, values: dict, *, review_required: bool, partner_name: str) -> Product:
    """``product`` is locked. Only what differs from the stored row is written."""
    available = values.pop("available", None)
    changed = {}
    for key, value in values.items():
        old = getattr(product, key)
        if old != value:
            changed[key] = [catalog._shown(old), catalog._shown(value)]
            setattr(product, key, value)
    if product.review == Product.Review.REJECTED and changed:
        # The partner answered the rejection with a change: the admins look again (or, when the
        # community no longer reviews this partner's products, it is approved like a new one).
        product.review = Product.Review.PENDING if review_required else Product.Review.APPROVED
        changed["review"] = [Product.Review.REJECTED.value, product.review]
        if product.review == Product.Review.APPROVED and available is None:
            available = True
    if product.review == Product.Review.APPROVED and available is not None and product.is_active != available:
        changed["is_active"] = [str(product.is_active), str(available)]
        product.is_active = available
    if changed:
        product.save(update_fields=[*(k for k in changed), "updated_at"])
        audit_record(community=product.community, actor=None, action="product.updated", obj=product,
                     changes=changed, partner=partner_name, sku=product.supplier_sku)
    return product


def _push_one(community: Community, supplier: Supplier, sku: str, fields: dict, *, review_required: bool,
              partner_name: str) -> tuple[Product, bool]:
    """Inside the caller's transaction. The product row is locked when it exists; when it does not,
    the insert runs in a savepoint so that a concurrent insert of the same SKU (the unique
    constraint refuses ours) turns into an update of that row."""
    for _attempt in range(2):
        product = _find(community, supplier, sku, lock=True)
        if product is not None:
            values = _clean_push_fields(community, fields, creating=False)
            return _update(product, values, review_required=review_required, partner_name=partner_name), False
        values = _clean_push_fields(community, fields, creating=True)
        try:
            with transaction.atomic():
                return _create(community, supplier, sku, values, review_required=review_required,
                               partner_name=partner_name), True
        except IntegrityError:
            # Another push created it between our read and our insert; its row is committed now
            # (the unique index made us wait for it): update that one.
            continue
    raise Conflict(_("The product changed while it was being saved. Send it again."), code="retry")


def product_push(*, community: Community, supplier: Supplier, sku: str, fields: dict, review_required: bool,
                 partner_name: str) -> tuple[Product, bool]:
    """Create or update the partner's product ``sku`` (idempotent): returns (product, created).

    ``fields``: name, description, unit, list_price (the partner's price suggestion; rounds set
    their own group price), consumption_cycle_days, stock (None: unlimited), low_stock_threshold,
    available (False takes it off sale; True offers it, on sale once approved). A new product
    needs name, unit and list_price; an update changes only the fields given.
    """
    sku = clean_sku(sku)
    _check_supplier(community, supplier)
    _clean_push_fields(community, fields, creating=False)  # types and bounds, before any lock
    with transaction.atomic():
        return _push_one(community, supplier, sku, fields, review_required=review_required,
                         partner_name=partner_name)


def product_push_many(*, community: Community, supplier: Supplier, products: list[tuple[str, dict]],
                      review_required: bool, partner_name: str) -> list[tuple[Product, bool]]:
    """``product_push`` for up to MAX_PUSH_BATCH products, all or nothing: one bad product stores
    none, and its errors are named ``products.<index>.<field>``. Rows are locked in SKU order."""
    _check_supplier(community, supplier)
    if not products or len(products) > MAX_PUSH_BATCH:
        message = _("Send 1 to %(max)s products at a time.") % {"max": MAX_PUSH_BATCH}
        raise ValidationFailed(message, fields={"products": [message]})
    errors: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    for index, (sku, fields) in enumerate(products):
        try:
            clean_sku(sku)
            _clean_push_fields(community, fields, creating=False)
        except ValidationFailed as exc:
            for key, messages in exc.fields.items():
                errors[f"products.{index}.{key}"] = messages
            continue
        if sku in seen:
            errors[f"products.{index}.sku"] = [_("This SKU is already in the list.")]
        seen[sku] = index
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    results: dict[int, tuple[Product, bool]] = {}
    with transaction.atomic():
        for index in sorted(range(len(products)), key=lambda i: products[i][0]):
            sku, fields = products[index]
            try:
                results[index] = _push_one(community, supplier, sku, fields, review_required=review_required,
                                           partner_name=partner_name)
            except ValidationFailed as exc:  # e.g. a new product without a name
                raise ValidationFailed(exc.message, code=exc.code, fields={
                    f"products.{index}.{key}": messages for key, messages in exc.fields.items()}) from None
    return [results[i] for i in range(len(products))]


def partner_product(*, community: Community, supplier: Supplier, sku: str) -> Product:
    """The partner's product ``sku`` in ``community``, or 404 (400 for a malformed SKU)."""
    sku = clean_sku(sku)
    _check_supplier(community, supplier)
    product = _find(community, supplier, sku)
    if product is None:
        raise NotFound(_("Product not found."), code="product_not_found")
    return product


def product_set_stock(*, community: Community, supplier: Supplier, sku: str, stock: int | None,
                      partner_name: str = "") -> Product:
    """Set the units the partner can still supply to new rounds (None: unlimited).

    Absolute, so sending it twice is harmless. Rounds already published have reserved their
    quantity on offer from Product.stock (catalog.services.product_reserve_stock); this number is
    what is left for rounds published from now on. At most catalog.MAX_STOCK.
    """
    sku = clean_sku(sku)
    _check_supplier(community, supplier)
    errors: dict[str, list[str]] = {}
    if stock is not None:
        stock = catalog._whole_number(
            stock, field="stock", errors=errors, minimum=0, maximum=catalog.MAX_STOCK,
            message=_("Stock is a number of units from 0 to %(max)s, or null for unlimited.") % {
                "max": f"{catalog.MAX_STOCK:,}"})
        if stock is None and not errors:
            errors["stock"] = [_("Enter a whole number.")]
    catalog._fail(errors)
    with transaction.atomic():
        product = _find(community, supplier, sku, lock=True)
        if product is None:
            raise NotFound(_("Product not found."), code="product_not_found")
        if product.stock != stock:
            audit_record(community=community, actor=None, action="product.updated", obj=product,
                         changes={"stock": [catalog._shown(product.stock), catalog._shown(stock)]},
                         partner=partner_name, sku=sku)
            product.stock = stock
            product.save(update_fields=["stock", "updated_at"])
    return product


def product_image_push(*, community: Community, supplier: Supplier, sku: str, upload,
                       partner_name: str = "") -> ProductImage:
    """Add a photo to the partner's product, with catalog's checks and limits (core.images: checked,
    re-encoded without EXIF, thumbnailed; at most catalog.MAX_IMAGES_PER_PRODUCT)."""
    product = partner_product(community=community, supplier=supplier, sku=sku)
    return catalog.add_image(community=community, product=product, upload=upload, partner=partner_name, sku=sku)


def product_image_delete(*, community: Community, supplier: Supplier, sku: str, image_id: int,
                         partner_name: str = "") -> None:
    """Remove a photo of the partner's product (404 when it is not one of that product's)."""
    product = partner_product(community=community, supplier=supplier, sku=sku)
    with transaction.atomic():
        image = (ProductImage.objects.select_for_update().filter(pk=image_id, product_id=product.pk,
                                                                 community=community).first())
        if image is None:
            raise NotFound(_("Photo not found."), code="image_not_found")
        names = (image.image.name, image.thumbnail.name)
        image.delete()
        Product.objects.filter(pk=product.pk).update(updated_at=timezone.now())
        audit_record(community=community, actor=None, action="product.updated", obj=product,
                     changes={"images": [names[0], None]}, partner=partner_name, sku=sku)
        transaction.on_commit(lambda: catalog._delete_files(*names))
