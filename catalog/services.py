"""Writes to the catalog: categories, suppliers, products, their photos and their stock.

Each service checks first (permission, community, values) and raises a DomainError with
per-field messages; then it changes state in one short transaction. Stock moves only through
guarded atomic updates (product_reserve_stock / product_release_stock), so two group-buys
published at the same moment can never take more units than there are.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, Max, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Category, Product, ProductImage, Supplier
from communities.models import Community, Membership
from communities.permissions import Perm, check_perm
from core.audit import audit_record
from core.events import emit
from core.exceptions import Conflict, NotFound, ValidationFailed
from core.images import clean_image, image_size, make_thumbnail

PRODUCT_FIELDS = ("name", "description", "unit", "list_price", "stock", "category", "supplier",
                  "consumption_cycle_days", "is_active")
SUPPLIER_FIELDS = ("name", "contact_name", "phone", "email", "notes")
MAX_IMAGES_PER_PRODUCT = 9
# Far above any community's needs and far below the column's 2**31 - 1, so releasing units back
# (product_release_stock) can never overflow it.
MAX_STOCK = 100_000_000
MAX_POSITION = 2**31 - 1  # the column's range
MAX_CYCLE_DAYS = 3650
MAX_PRICE = Decimal("9999999999.99")  # DecimalField(max_digits=12, decimal_places=2)
CENT = Decimal("0.01")


def _fail(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)


def _check_manager(actor: Membership, obj=None) -> Community:
    """The actor may manage the catalog, and ``obj`` (if given) is of the actor's community."""
    check_perm(actor, Perm.MANAGE_CATALOG)
    if obj is not None and obj.community_id != actor.community_id:
        raise NotFound()
    return actor.community


def _text(value, *, field: str, max_length: int, errors: dict, required: bool = False) -> str:
    value = "" if value is None else str(value).strip()
    if required and not value:
        errors[field] = [_("This field is required.")]
    elif len(value) > max_length:
        errors[field] = [_("Use at most %(max)s characters.") % {"max": max_length}]
    return value


def _whole_number(value, *, field: str, errors: dict, minimum: int, maximum: int, message: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors[field] = [_("Enter a whole number.")]
        return None
    if not minimum <= value <= maximum:
        errors[field] = [message]
    return value


def _price(value, *, errors: dict) -> Decimal | None:
    if value is None or value == "":
        errors["list_price"] = [_("Enter a price.")]
        return None
    text = None if isinstance(value, Decimal) else str(value).strip()
    if text is not None and (not text.isascii() or "\x00" in text):
        # Decimal() reads "１２" (full-width) as 12: a price is typed in ASCII digits.
        errors["list_price"] = [_("Enter a price such as 12.50.")]
        return None
    try:
        price = value if isinstance(value, Decimal) else Decimal(text)
    except (InvalidOperation, ValueError):
        errors["list_price"] = [_("Enter a price such as 12.50.")]
        return None
    if not price.is_finite():
        errors["list_price"] = [_("Enter a price such as 12.50.")]
    elif price < 0:
        errors["list_price"] = [_("The price cannot be negative.")]
    elif price > MAX_PRICE:
        errors["list_price"] = [_("The price is too large.")]
    elif price != price.quantize(CENT):
        errors["list_price"] = [_("Use at most 2 decimal places.")]
    else:
        return price.quantize(CENT)
    return None


def _same_community(community: Community, obj, *, model, field: str, errors: dict, message: str):
    if obj is None or obj == "":
        return None
    if not isinstance(obj, model) or obj.community_id != community.pk:
        errors[field] = [message]
        return None
    return obj


def _clean_product_fields(community: Community, fields: dict, *, creating: bool) -> dict:
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    values = {}
    if creating or "name" in fields:
        values["name"] = _text(fields.get("name"), field="name", max_length=120, errors=errors, required=True)
    if "description" in fields:
        values["description"] = _text(fields["description"], field="description", max_length=5000, errors=errors)
    if creating or "unit" in fields:
        values["unit"] = _text(fields.get("unit"), field="unit", max_length=16, errors=errors, required=True)
    if creating or "list_price" in fields:
        values["list_price"] = _price(fields.get("list_price"), errors=errors)
    if "stock" in fields:
        stock = fields["stock"]
        if isinstance(stock, int) and not isinstance(stock, bool) and stock > MAX_STOCK:
            message = _("Stock can be at most %(max)s units. Leave it empty for unlimited.") % {"max": f"{MAX_STOCK:,}"}
        else:
            message = _("Stock cannot be negative. Leave it empty for unlimited.")
        values["stock"] = _whole_number(stock, field="stock", errors=errors, minimum=0, maximum=MAX_STOCK,
                                        message=message)
    if "consumption_cycle_days" in fields:
        values["consumption_cycle_days"] = _whole_number(
            fields["consumption_cycle_days"], field="consumption_cycle_days", errors=errors, minimum=1,
            maximum=MAX_CYCLE_DAYS,
            message=_("Enter a number of days between 1 and %(max)s, or leave it empty.") % {"max": MAX_CYCLE_DAYS})
    if "category" in fields:
        values["category"] = _same_community(community, fields["category"], model=Category, field="category",
                                              errors=errors, message=_("Choose a category of this community."))
    if "supplier" in fields:
        values["supplier"] = _same_community(community, fields["supplier"], model=Supplier, field="supplier",
                                              errors=errors, message=_("Choose a supplier of this community."))
    if "is_active" in fields:
        values["is_active"] = bool(fields["is_active"])
    _fail(errors)
    return values


def _shown(value) -> str | None:
    """How a field's value is written in the audit log."""
    if value is None:
        return None
    if isinstance(value, (Category, Supplier)):
        return value.name
    return str(value)


# Categories ----------------------------------------------------------------------------------

def _category_name(community: Community, name, *, exclude_pk=None) -> str:
    errors: dict[str, list[str]] = {}
    name = _text(name, field="name", max_length=60, errors=errors, required=True)
    _fail(errors)
    if community.categories.filter(name=name).exclude(pk=exclude_pk).exists():
        raise _duplicate_category()
    return name


def _duplicate_category() -> Conflict:
    return Conflict(_("A category with this name already exists."), code="duplicate_category",
                    fields={"name": [_("Already used.")]})


def _position(value) -> int:
    errors: dict[str, list[str]] = {}
    value = _whole_number(value, field="position", errors=errors, minimum=0, maximum=MAX_POSITION,
                          message=_("Enter a position between 0 and %(max)s.") % {"max": MAX_POSITION})
    _fail(errors)
    return value or 0


def category_create(*, actor: Membership, name: str, position: int = 0) -> Category:
    community = _check_manager(actor)
    name = _category_name(community, name)
    position = _position(position)
    try:
        with transaction.atomic():
            category = Category.objects.create(community=community, name=name, position=position)
            audit_record(community=community, actor=actor.user, action="category.created", obj=category, name=name)
    except IntegrityError:  # the same name, created a moment ago by someone else
        raise _duplicate_category()
    return category


def category_update(*, actor: Membership, category: Category, name: str | None = None,
                    position: int | None = None) -> Category:
    community = _check_manager(actor, category)
    values = {}
    if name is not None:
        values["name"] = _category_name(community, name, exclude_pk=category.pk)
    if position is not None:
        values["position"] = _position(position)
    changed = {k: [_shown(getattr(category, k)), _shown(v)] for k, v in values.items() if getattr(category, k) != v}
    if not changed:
        return category
    try:
        with transaction.atomic():
            Category.objects.filter(pk=category.pk).update(**{k: values[k] for k in changed}, updated_at=timezone.now())
            audit_record(community=community, actor=actor.user, action="category.updated", obj=category,
                         changes=changed)
    except IntegrityError:
        raise _duplicate_category()
    category.refresh_from_db()
    return category


def category_delete(*, actor: Membership, category: Category) -> int:
    """Delete a category; its products stay, without a category. Returns how many products it had."""
    community = _check_manager(actor, category)
    with transaction.atomic():
        count = community.products.filter(category=category).count()
        deleted, _rows = Category.objects.filter(pk=category.pk, community=community).delete()
        if deleted:
            audit_record(community=community, actor=actor.user, action="category.deleted", obj=category,
                         name=category.name, products=count)
    return count


# Suppliers -----------------------------------------------------------------------------------

def _clean_supplier_fields(community: Community, fields: dict, *, creating: bool, exclude_pk=None) -> dict:
    unknown = set(fields) - set(SUPPLIER_FIELDS)
    if unknown:
        raise TypeError(f"unknown supplier fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    values = {}
    if creating or "name" in fields:
        values["name"] = _text(fields.get("name"), field="name", max_length=80, errors=errors, required=True)
    for field, limit in (("contact_name", 60), ("phone", 30), ("notes", 5000)):
        if field in fields:
            values[field] = _text(fields[field], field=field, max_length=limit, errors=errors)
    if "email" in fields:
        email = _text(fields["email"], field="email", max_length=254, errors=errors)
        if email and "email" not in errors:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = [_("Enter a valid e-mail address.")]
        values["email"] = email
    _fail(errors)
    if "name" in values and community.suppliers.filter(name=values["name"]).exclude(pk=exclude_pk).exists():
        raise _duplicate_supplier()
    return values


def _duplicate_supplier() -> Conflict:
    return Conflict(_("A supplier with this name already exists."), code="duplicate_supplier",
                    fields={"name": [_("Already used.")]})


def supplier_create(*, actor: Membership, **fields) -> Supplier:
    community = _check_manager(actor)
    values = _clean_supplier_fields(community, fields, creating=True)
    try:
        with transaction.atomic():
            supplier = Supplier.objects.create(community=community, **values)
            audit_record(community=community, actor=actor.user, action="supplier.created", obj=supplier,
                         name=supplier.name)
    except IntegrityError:
        raise _duplicate_supplier()
    return supplier


def supplier_update(*, actor: Membership, supplier: Supplier, **fields) -> Supplier:
    community = _check_manager(actor, supplier)
    values = _clean_supplier_fields(community, fields, creating=False, exclude_pk=supplier.pk)
    changed = {k: [_shown(getattr(supplier, k)), _shown(v)] for k, v in values.items() if getattr(supplier, k) != v}
    if not changed:
        return supplier
    try:
        with transaction.atomic():
            Supplier.objects.filter(pk=supplier.pk).update(**{k: values[k] for k in changed}, updated_at=timezone.now())
            audit_record(community=community, actor=actor.user, action="supplier.updated", obj=supplier,
                         changed=sorted(changed))
    except IntegrityError:
        raise _duplicate_supplier()
    supplier.refresh_from_db()
    return supplier


def supplier_delete(*, actor: Membership, supplier: Supplier) -> None:
    """Delete a supplier that no product comes from any more (purchase sheets need the link)."""
    community = _check_manager(actor, supplier)
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().filter(pk=supplier.pk, community=community).first()
        if locked is None:
            raise NotFound()
        count = community.products.filter(supplier=locked).count()
        if count:
            raise Conflict(
                _("%(count)s products come from this supplier. Give them another supplier first.") % {
                    "count": count},
                code="supplier_in_use")
        locked.delete()
        audit_record(community=community, actor=actor.user, action="supplier.deleted", obj=supplier,
                     name=supplier.name)


# Products ------------------------------------------------------------------------------------

def product_create(*, actor: Membership, **fields) -> Product:
    """A new product of the actor's community. Fields as on Product; stock None means unlimited."""
    community = _check_manager(actor)
    values = _clean_product_fields(community, fields, creating=True)
    product = Product(community=community, created_by=actor.user, **values)
    with transaction.atomic():
        product.save()
        audit_record(community=community, actor=actor.user, action="product.created", obj=product,
                     name=product.name, list_price=str(product.list_price), stock=product.stock)
    return product


def product_update(*, actor: Membership, product: Product, **fields) -> Product:
    """Set the given fields (only those). Stock given here replaces the count of units available.

    The row is locked and compared with what is stored now, so a field not given, or given
    unchanged, is never written back: a reservation made meanwhile by a group-buy stays.
    """
    community = _check_manager(actor, product)
    values = _clean_product_fields(community, fields, creating=False)
    with transaction.atomic():
        locked = (Product.objects.select_for_update(of=("self",)).select_related("category", "supplier")
                  .get(pk=product.pk))
        if values.get("is_active") and locked.review != Product.Review.APPROVED:
            message = _("A partner's product goes on sale once an admin approves it.")
            raise ValidationFailed(message, code="not_approved", fields={"is_active": [message]})
        changed = {}
        for key, value in values.items():
            old = getattr(locked, key)
            if (old.pk if hasattr(old, "pk") else old) != (value.pk if hasattr(value, "pk") else value):
                changed[key] = [_shown(old), _shown(value)]
                setattr(locked, key, value)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            audit_record(community=community, actor=actor.user, action="product.updated", obj=locked,
                         changes=changed)
    return locked


def product_set_active(*, actor: Membership, product: Product, is_active: bool) -> Product:
    """Put a product on sale or take it off (it stays in past rounds and orders)."""
    return product_update(actor=actor, product=product, is_active=bool(is_active))


# Images --------------------------------------------------------------------------------------

def _too_many_images() -> ValidationFailed:
    message = _("A product can have at most %(max)s photos. Remove one first.") % {"max": MAX_IMAGES_PER_PRODUCT}
    return ValidationFailed(message, code="too_many_images", fields={"image": [message]})


def _delete_files(*names: str) -> None:
    storage = ProductImage._meta.get_field("image").storage
    for name in names:
        if name:
            storage.delete(name)


def product_image_add(*, actor: Membership, product: Product, upload) -> ProductImage:
    """Add a photo: checked and re-encoded without EXIF (core.images), with a thumbnail for lists."""
    community = _check_manager(actor, product)
    return add_image(community=community, product=product, upload=upload, actor_user=actor.user)


def add_image(*, community: Community, product: Product, upload, actor_user=None, **audit_data) -> ProductImage:
    """The photo itself, for a checked caller (an admin's upload, a partner's push): at most
    MAX_IMAGES_PER_PRODUCT per product, the files written before the transaction."""
    if ProductImage.objects.filter(product_id=product.pk).count() >= MAX_IMAGES_PER_PRODUCT:
        raise _too_many_images()
    content = clean_image(upload, field="image")
    width, height = image_size(content)
    thumbnail = make_thumbnail(content)
    image = ProductImage(community=community, product_id=product.pk, width=width, height=height)
    # Files are written before the transaction (no I/O under the product lock) and removed on refusal.
    image.image.save(content.name, content, save=False)
    image.thumbnail.save(thumbnail.name, thumbnail, save=False)
    try:
        with transaction.atomic():
            # The product's row lock serialises concurrent uploads, so the limit of 9 holds.
            Product.objects.select_for_update().filter(pk=product.pk).values_list("pk").get()
            stats = ProductImage.objects.filter(product_id=product.pk).aggregate(n=Count("id"), last=Max("position"))
            if stats["n"] >= MAX_IMAGES_PER_PRODUCT:
                raise _too_many_images()
            image.position = 0 if stats["last"] is None else stats["last"] + 1
            image.save()
            # The photo counts as a change to the product (clients sync on updated_at).
            Product.objects.filter(pk=product.pk).update(updated_at=image.created_at)
            audit_record(community=community, actor=actor_user, action="product.updated", obj=product,
                         changes={"images": [None, image.image.name]}, **audit_data)
    except BaseException:
        _delete_files(image.image.name, image.thumbnail.name)
        raise
    return image


def product_image_remove(*, actor: Membership, image: ProductImage) -> None:
    community = _check_manager(actor, image)
    with transaction.atomic():
        deleted, _rows = ProductImage.objects.filter(pk=image.pk, community=community).delete()
        if not deleted:
            raise NotFound()
        audit_record(community=community, actor=actor.user, action="product.updated", obj=image.product,
                     changes={"images": [image.image.name, None]})
        names = (image.image.name, image.thumbnail.name)
        transaction.on_commit(lambda: _delete_files(*names))


# Stock ---------------------------------------------------------------------------------------

class InsufficientStock(Conflict):
    """Fewer units left than asked for. Carries the product and what is left, for the caller's form."""

    def __init__(self, *, product_id: int, name: str, available: int, wanted: int):
        super().__init__(
            _("Not enough stock of %(name)s: %(available)s left, %(wanted)s asked for.") % {
                "name": name, "available": available, "wanted": wanted},
            code="insufficient_stock")
        self.product_id = product_id
        self.available = available
        self.wanted = wanted


def _check_quantity(quantity: int) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_STOCK:
        raise ValidationFailed(_("Enter a whole number of units, at most %(max)s.") % {"max": f"{MAX_STOCK:,}"},
                               fields={"quantity": [_("Enter a whole number.")]})


def product_reserve_stock(*, product_id: int, quantity: int) -> None:
    """Take ``quantity`` units of a product's stock, or raise InsufficientStock (a Conflict).

    Runs inside the caller's transaction (publishing a group-buy): one guarded UPDATE, which
    PostgreSQL re-checks against the latest row version when it had to wait for another writer,
    so concurrent reservations never drive stock below zero. Unlimited stock (None) is a no-op.
    """
    _check_quantity(quantity)
    if quantity == 0:
        return
    if Product.objects.filter(pk=product_id, stock__gte=quantity).update(stock=F("stock") - quantity,
                                                                        updated_at=timezone.now()):
        _tell_if_low(product_id, quantity)
        return
    row = Product.objects.filter(pk=product_id).values("name", "stock").first()
    if row is None:
        raise NotFound(_("Product not found."), code="product_not_found")
    if row["stock"] is None:
        return
    raise InsufficientStock(product_id=product_id, name=row["name"], available=row["stock"], wanted=quantity)


def _tell_if_low(product_id: int, quantity: int) -> None:
    """The reservation took the stock to its low mark or under it (crossing it now): the supplier hears."""
    crossed = (Product.objects.filter(pk=product_id, low_stock_threshold__isnull=False,
                                      stock__lte=F("low_stock_threshold"),
                                      stock__gt=F("low_stock_threshold") - quantity)
               .values_list("community_id", "stock").first())
    if crossed is not None:
        emit("product.low_stock", community_id=crossed[0], product_id=product_id, stock=crossed[1])


def product_review(*, actor: Membership, product: Product, approve: bool, note: str = "") -> Product:
    """An admin decides on a product a partner shop pushed: approved, it can be sold (and goes on
    sale); rejected, it stays off sale until the partner changes it."""
    check_perm(actor, Perm.MANAGE_PARTNERS)
    if product.community_id != actor.community_id:
        raise NotFound(_("Product not found."), code="product_not_found")
    with transaction.atomic():
        locked = Product.objects.select_for_update(of=("self",)).get(pk=product.pk)
        if locked.review != Product.Review.PENDING:
            raise Conflict(_("This product is not waiting for review."), code="not_pending")
        if approve:
            locked.review, locked.is_active = Product.Review.APPROVED, True
        else:
            locked.review, locked.is_active = Product.Review.REJECTED, False
        locked.save(update_fields=["review", "is_active", "updated_at"])
        audit_record(community=locked.community, actor=actor.user,
                     action="product.approved" if approve else "product.rejected", obj=locked, note=note[:200])
        if approve:
            emit("product.approved", community_id=locked.community_id, product_id=locked.pk)
    return locked


def product_release_stock(*, product_id: int, quantity: int) -> None:
    """Give back units taken by product_reserve_stock (a round closed with units unsold, or cancelled).

    Stock never goes past MAX_STOCK: a leader may have set it to the maximum while units were
    out, and the sum must not overflow the column at a round's close (a sweep must not fail on
    it). The CASE keeps PostgreSQL from computing ``stock + quantity`` when it would.
    """
    _check_quantity(quantity)
    if quantity == 0:
        return
    Product.objects.filter(pk=product_id, stock__isnull=False).update(updated_at=timezone.now(), stock=Case(
        When(stock__gt=MAX_STOCK - quantity, then=Value(MAX_STOCK)),
        default=F("stock") + quantity))
