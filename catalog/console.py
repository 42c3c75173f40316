"""Admin console pages (desktop) for the catalog: products and their photos, categories, suppliers.

Every page needs Perm.MANAGE_CATALOG (leaders and up) and starts its queries from the community;
every change goes through catalog.services, whose DomainErrors land on the form.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from catalog import selectors, services
from catalog.forms import CategoryForm, ProductForm, ProductImagesForm, SupplierForm
from communities.permissions import Perm, has_perm
from core.exceptions import DomainError, NotFound, ValidationFailed
from core.forms import add_domain_error
from core.images import clean_image
from core.inputs import parse_id, parse_int
from communities.pages import community_page

ACTIVE_FILTERS = {"1": True, "0": False}
PAGE_SIZE = 50


def _ctx(community, membership, *, tab, **extra):
    perms = {perm.value: has_perm(membership, perm) for perm in Perm}
    # section: the console's side nav highlights "Products" on every catalog page; tab: the catalog's own tabs.
    return {"community": community, "membership": membership, "perms": perms, "section": "products", "tab": tab,
            **extra}


def _get(queryset, pk):
    """The row ``pk`` of a community-scoped queryset, or the console's 404 page."""
    pk = parse_id(str(pk))
    obj = queryset.filter(pk=pk).first() if pk is not None else None
    if obj is None:
        raise NotFound()
    return obj


# Products ------------------------------------------------------------------------------------

@community_page(Perm.MANAGE_CATALOG)
def products(request, community, membership):
    filters = {key: request.GET.get(key, "").strip() for key in ("q", "category", "supplier", "active")}
    queryset = selectors.product_list(community, q=filters["q"], category=filters["category"],
                                      supplier=filters["supplier"], active=ACTIVE_FILTERS.get(filters["active"]))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catalog/products.html", _ctx(
        community, membership, tab="products", page=page, filters=filters,
        categories=community.categories.order_by("position", "name"), suppliers=community.suppliers.order_by("name"),
    ))


@community_page(Perm.MANAGE_CATALOG)
def product_new(request, community, membership):
    """A new product, with its photos in the same form (each made smaller in the browser first)."""
    form = ProductForm(request.POST or None, community=community)
    images_form = ProductImagesForm(request.POST or None, request.FILES or None, required=False)
    if request.method == "POST" and form.is_valid() and images_form.is_valid() \
            and _photos_readable(images_form):
        try:
            product = services.product_create(actor=membership, **form.service_fields(editing=False))
        except DomainError as error:
            add_domain_error(form, error)
        else:
            added, refused = _add_photos(membership, product, images_form.cleaned_data["images"])
            if refused:
                messages.error(request, _("%(name)s was created, but some photos were not added: %(errors)s") % {
                    "name": product.name, "errors": "; ".join(refused)})
            elif added:
                messages.success(request, ngettext("%(name)s was created with %(count)s photo.",
                                                   "%(name)s was created with %(count)s photos.", added) % {
                    "name": product.name, "count": added})
            else:
                messages.success(request, _("%(name)s was created. Add its photos below.") % {"name": product.name})
            return redirect("catalog:product_edit", slug=community.slug, pk=product.pk)
    return render(request, "catalog/product_form.html", _ctx(community, membership, tab="products", form=form,
                                                             images_form=images_form, product=None,
                                                             max_images=services.MAX_IMAGES_PER_PRODUCT),
                  status=400 if request.method == "POST" else 200)


def _photos_readable(images_form) -> bool:
    """Every photo chosen with a new product passes the server's checks (5 MB, a real image) before
    the product is created, so a refused photo leaves nothing half made."""
    uploads = images_form.cleaned_data["images"]
    if len(uploads) > services.MAX_IMAGES_PER_PRODUCT:
        images_form.add_error("images", _("At most %(max)s photos per product.") % {
            "max": services.MAX_IMAGES_PER_PRODUCT})
        return False
    for upload in uploads:
        try:
            clean_image(upload, field="images")
        except DomainError as error:
            images_form.add_error("images", f"{upload.name}: {error.message}")
        upload.seek(0)
    return not images_form.errors


def _add_photos(membership, product, uploads) -> tuple[int, list[str]]:
    added, refused = 0, []
    for upload in uploads:
        try:
            services.product_image_add(actor=membership, product=product, upload=upload)
            added += 1
        except DomainError as error:
            refused.append(f"{upload.name}: {error.message}")
    return added, refused


def _product_initial(product) -> dict:
    initial = {field: getattr(product, field) for field in services.PRODUCT_FIELDS}
    initial["category"], initial["supplier"] = product.category_id, product.supplier_id
    return initial


@community_page(Perm.MANAGE_CATALOG)
def product_edit(request, community, membership, pk):
    product = _get(selectors.product_list(community), pk)
    action = request.POST.get("action", "save") if request.method == "POST" else None
    form = ProductForm(request.POST if action == "save" else None, initial=_product_initial(product),
                       community=community)
    images_form = ProductImagesForm(request.POST if action == "upload" else None,
                                    request.FILES if action == "upload" else None)
    if action == "save" and form.is_valid():
        try:
            services.product_update(actor=membership, product=product, **form.service_fields(editing=True))
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("catalog:product_edit", slug=community.slug, pk=product.pk)
    elif action == "upload" and images_form.is_valid():
        added, refused = _add_photos(membership, product, images_form.cleaned_data["images"])
        for message in refused:
            images_form.add_error("images", message)
        if added:
            messages.success(request, _("%(count)s photos added.") % {"count": added})
        if not images_form.errors:
            return redirect("catalog:product_edit", slug=community.slug, pk=product.pk)
        product = _get(selectors.product_list(community), pk)  # show the photos that did go in
    return render(request, "catalog/product_form.html", _ctx(
        community, membership, tab="products", form=form, images_form=images_form, product=product,
        images=list(product.images.all()), max_images=services.MAX_IMAGES_PER_PRODUCT,
    ), status=400 if request.method == "POST" else 200)


@require_POST
@community_page(Perm.MANAGE_CATALOG)
def product_image_delete(request, community, membership, pk, image_pk):
    product = _get(community.products, pk)
    image = _get(product.images, image_pk)
    try:
        services.product_image_remove(actor=membership, image=image)
        messages.success(request, _("Photo removed."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("catalog:product_edit", slug=community.slug, pk=product.pk)


# Categories ----------------------------------------------------------------------------------

@community_page(Perm.MANAGE_CATALOG)
def categories(request, community, membership):
    action = request.POST.get("action", "create") if request.method == "POST" else None
    form = CategoryForm(request.POST if action == "create" else None)
    try:
        if action == "create" and form.is_valid():
            try:
                category = services.category_create(actor=membership, name=form.cleaned_data["name"],
                                                    position=form.cleaned_data["position"] or 0)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Category %(name)s created.") % {"name": category.name})
                return redirect("catalog:categories", slug=community.slug)
        elif action == "rename":
            category = _get(community.categories, request.POST.get("pk", ""))
            position = request.POST.get("position", "").strip()
            if position and parse_int(position) is None:
                raise ValidationFailed(_("Enter 0 or a positive number."),
                                       fields={"position": [_("Enter a whole number.")]})
            services.category_update(actor=membership, category=category, name=request.POST.get("name", ""),
                                     position=parse_int(position) if position else None)
            messages.success(request, _("Category saved."))
            return redirect("catalog:categories", slug=community.slug)
        elif action == "delete":
            category = _get(community.categories, request.POST.get("pk", ""))
            count = services.category_delete(actor=membership, category=category)
            messages.success(request, _("Category %(name)s deleted; its %(count)s products have no category now.") % {
                "name": category.name, "count": count})
            return redirect("catalog:categories", slug=community.slug)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("catalog:categories", slug=community.slug)
    return render(request, "catalog/categories.html", _ctx(
        community, membership, tab="categories", form=form, categories=selectors.category_list(community),
    ), status=400 if request.method == "POST" else 200)


# Suppliers -----------------------------------------------------------------------------------

@community_page(Perm.MANAGE_CATALOG)
def suppliers(request, community, membership):
    form = SupplierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            supplier = services.supplier_create(actor=membership, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Supplier %(name)s added.") % {"name": supplier.name})
            return redirect("catalog:suppliers", slug=community.slug)
    return render(request, "catalog/suppliers.html", _ctx(
        community, membership, tab="suppliers", form=form, suppliers=selectors.supplier_list(community),
    ), status=400 if request.method == "POST" else 200)


@community_page(Perm.MANAGE_CATALOG)
def supplier_edit(request, community, membership, pk):
    supplier = _get(selectors.supplier_list(community), pk)
    if request.method == "POST" and request.POST.get("action") == "delete":
        try:
            services.supplier_delete(actor=membership, supplier=supplier)
        except NotFound:
            raise
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("catalog:supplier_edit", slug=community.slug, pk=supplier.pk)
        messages.success(request, _("Supplier %(name)s deleted.") % {"name": supplier.name})
        return redirect("catalog:suppliers", slug=community.slug)
    initial = {field: getattr(supplier, field) for field in services.SUPPLIER_FIELDS}
    form = SupplierForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.supplier_update(actor=membership, supplier=supplier, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Supplier saved."))
            return redirect("catalog:suppliers", slug=community.slug)
    return render(request, "catalog/supplier_edit.html", _ctx(
        community, membership, tab="suppliers", form=form, supplier=supplier,
    ), status=400 if request.method == "POST" else 200)
