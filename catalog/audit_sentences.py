"""How the catalog's actions read in the audit log (registered in CatalogConfig.ready)."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.audit import actor_name


def _field_label(name: str) -> str:
    from catalog.models import Product

    try:
        return str(Product._meta.get_field(name).verbose_name)
    except Exception:
        return name


def _product_changed(entry) -> str:
    changes = (entry.data or {}).get("changes") or {}
    actor, product = actor_name(entry), entry.object_id or "—"
    images = changes.get("images") if isinstance(changes, dict) else None
    if isinstance(images, (list, tuple)) and len(images) == 2:
        if images[0] is None:
            return _("%(actor)s added a photo to product #%(id)s") % {"actor": actor, "id": product}
        return _("%(actor)s removed a photo of product #%(id)s") % {"actor": actor, "id": product}
    parts = []
    for name, values in sorted(changes.items()) if isinstance(changes, dict) else []:
        old, new = (list(values) + ["", ""])[:2] if isinstance(values, (list, tuple)) else ("", values)
        if name == "description" or len(str(old)) > 40 or len(str(new)) > 40:
            parts.append(_("the %(field)s") % {"field": _field_label(name)})
        else:
            parts.append(_("the %(field)s from “%(old)s” to “%(new)s”") % {
                "field": _field_label(name), "old": old, "new": new})
    if not parts:
        return _("%(actor)s changed product #%(id)s") % {"actor": actor, "id": product}
    return _("%(actor)s changed %(changes)s of product #%(id)s") % {
        "actor": actor, "changes": _("; ").join(parts), "id": product}


SENTENCES = {
    "product.created": pgettext_lazy("audit log", "%(actor)s added the product “%(name)s”"),
    "product.updated": _product_changed,
    "category.created": pgettext_lazy("audit log", "%(actor)s added the category “%(name)s”"),
    "category.updated": pgettext_lazy("audit log", "%(actor)s changed category #%(id)s"),
    "category.deleted": pgettext_lazy("audit log", "%(actor)s deleted the category “%(name)s”"),
    "supplier.created": pgettext_lazy("audit log", "%(actor)s added the supplier “%(name)s”"),
    "supplier.updated": pgettext_lazy("audit log", "%(actor)s changed supplier #%(id)s"),
    "supplier.deleted": pgettext_lazy("audit log", "%(actor)s deleted the supplier “%(name)s”"),
}
