"""REST API for the catalog: products (with photos), categories, suppliers.

Each view: input serializer → a row from the community-scoped queryset → service → output
serializer. Any member reads products on sale; catalog managers (leaders and up,
Perm.MANAGE_CATALOG) also see those off sale, create, change, retire and restore products, upload
photos, and create, change and delete categories and suppliers (as the console does).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from catalog import selectors, services
from catalog.models import Category, Product, Supplier
from catalog.api import filters
from catalog.api import serializers as s
from communities.api.views import CommunityAPIView
from communities.permissions import Perm, has_perm
from core.api import error_responses as errors
from core.exceptions import NotFound
from core.filters import FILTER_BACKENDS
from core.idempotency import KEY_PARAMETER, idempotent

TAG = "catalog"


class CatalogAPIView(CommunityAPIView):
    """Reads need membership; writes need Perm.MANAGE_CATALOG."""

    permission = Perm.MANAGE_CATALOG

    def required_permission(self, request) -> Perm | None:
        return Perm.VIEW if request.method in SAFE_METHODS else self.permission

    @property
    def manages_catalog(self) -> bool:
        return has_perm(self.membership, Perm.MANAGE_CATALOG)

    def products(self):
        """The products this caller may see: members only those on sale."""
        return selectors.product_list(self.community, active=None if self.manages_catalog else True)

    def get_product(self, pk):
        product = self.products().filter(pk=pk).first()
        if product is None:
            raise NotFound(_lazy("Product not found."), code="product_not_found")
        return product

    def context(self):
        return {"request": self.request, "community": self.community}

    def get_category(self, pk):
        category = selectors.category_list(self.community, on_sale_only=not self.manages_catalog).filter(pk=pk).first()
        if category is None:
            raise NotFound(_lazy("Category not found."), code="category_not_found")
        return category

    def get_supplier(self, pk):
        supplier = selectors.supplier_list(self.community).filter(pk=pk).first()
        if supplier is None:
            raise NotFound(_lazy("Supplier not found."), code="supplier_not_found")
        return supplier


class ProductListView(CatalogAPIView):
    """GET: the community's products (members: on sale only). POST: a new product (catalog managers)."""

    filter_backends = FILTER_BACKENDS
    filterset_class = filters.ProductFilter
    queryset = Product.objects.none()  # the model, for the schema; rows come from self.products()

    @extend_schema(responses={200: s.ProductSerializer(many=True), **errors(400, 404)}, tags=[TAG],
                   summary=_lazy("Products"))
    def get(self, request, slug):
        page = self.paginate_queryset(self.filter_queryset(self.products()))
        return self.get_paginated_response(s.ProductSerializer(page, many=True, context=self.context()).data)

    @extend_schema(request=s.ProductWriteSerializer, parameters=[KEY_PARAMETER],
                   responses={201: s.ProductSerializer, **errors(400, 403, 404, 422)}, tags=[TAG],
                   summary=_lazy("Create a product"))
    def post(self, request, slug):
        def create():
            data = s.ProductWriteSerializer(data=request.data, context=self.context())
            data.is_valid(raise_exception=True)
            product = services.product_create(actor=self.membership, **data.validated_data)
            return Response(s.ProductSerializer(self.get_product(product.pk), context=self.context()).data,
                            status=status.HTTP_201_CREATED)
        return idempotent(request, f"product-create:{self.community.pk}", create)


class ProductDetailView(CatalogAPIView):
    """GET: one product (members: only if on sale). PATCH: change the fields given (catalog managers)."""

    @extend_schema(responses={200: s.ProductSerializer, **errors(404)}, tags=[TAG], summary=_lazy("A product"))
    def get(self, request, slug, pk):
        return Response(s.ProductSerializer(self.get_product(pk), context=self.context()).data)

    @extend_schema(request=s.ProductWriteSerializer(partial=True),
                   responses={200: s.ProductSerializer, **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Change a product"),
                   description=_lazy("Only the fields given change. `stock` replaces the units available."))
    def patch(self, request, slug, pk):
        data = s.ProductWriteSerializer(data=request.data, partial=True, context=self.context())
        data.is_valid(raise_exception=True)
        product = self.get_product(pk)
        services.product_update(actor=self.membership, product=product, **data.validated_data)
        return Response(s.ProductSerializer(self.get_product(pk), context=self.context()).data)


class ProductRetireView(CatalogAPIView):
    """Take a product off sale: members no longer see it; past rounds and orders keep it."""

    is_active = False

    @extend_schema(request=None, responses={200: s.ProductSerializer, **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("Take a product off sale"),
                   description=_lazy("Repeating it changes nothing. Listed again with `active=false`."))
    def post(self, request, slug, pk):
        product = self.get_product(pk)
        services.product_set_active(actor=self.membership, product=product, is_active=self.is_active)
        return Response(s.ProductSerializer(self.get_product(pk), context=self.context()).data)


class ProductRestoreView(ProductRetireView):
    """Put a product back on sale."""

    is_active = True

    @extend_schema(request=None, responses={200: s.ProductSerializer, **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("Put a product back on sale"), description=_lazy("Repeating it changes nothing."))
    def post(self, request, slug, pk):
        return super().post(request, slug, pk)


class ProductImageListView(CatalogAPIView):
    """Upload a photo of a product (multipart): checked, stripped of EXIF, thumbnailed. At most 9."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": s.ProductImageUploadSerializer}, parameters=[KEY_PARAMETER],
                   responses={201: s.ProductImageSerializer, **errors(400, 403, 404, 422)}, tags=[TAG],
                   summary=_lazy("Add a product photo"))
    def post(self, request, slug, pk):
        def add():
            data = s.ProductImageUploadSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            product = self.get_product(pk)
            image = services.product_image_add(actor=self.membership, product=product,
                                               upload=data.validated_data["image"])
            return Response(s.ProductImageSerializer(image, context=self.context()).data,
                            status=status.HTTP_201_CREATED)
        return idempotent(request, f"product-image:{self.community.pk}:{pk}", add)


class ProductImageDetailView(CatalogAPIView):
    """Remove a product photo."""

    @extend_schema(request=None, responses={204: OpenApiResponse(description=_lazy("Removed")),
                                            **errors(403, 404)}, tags=[TAG], summary=_lazy("Remove a product photo"))
    def delete(self, request, slug, pk, image_pk):
        product = self.get_product(pk)
        image = product.images.filter(pk=image_pk).first()
        if image is None:
            raise NotFound()
        services.product_image_remove(actor=self.membership, image=image)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CategoryListView(CatalogAPIView):
    """The community's categories, with how many products each has (members: products on sale)."""

    filter_backends = FILTER_BACKENDS
    filterset_class = filters.CategoryFilter
    queryset = Category.objects.none()

    @extend_schema(responses={200: s.CategorySerializer(many=True), **errors(400, 404)}, tags=[TAG],
                   summary=_lazy("Categories"))
    def get(self, request, slug):
        page = self.paginate_queryset(self.filter_queryset(
            selectors.category_list(self.community, on_sale_only=not self.manages_catalog)))
        return self.get_paginated_response(s.CategorySerializer(page, many=True).data)

    @extend_schema(request=s.CategoryWriteSerializer, responses={201: s.CategorySerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG], summary=_lazy("Create a category"))
    def post(self, request, slug):
        data = s.CategoryWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.category_create(actor=self.membership, **data.validated_data)
        return Response(s.CategorySerializer(self.get_category(category.pk)).data, status=status.HTTP_201_CREATED)


class CategoryDetailView(CatalogAPIView):
    """Rename or move a category; delete it (its products stay, without a category)."""

    def required_permission(self, request) -> Perm | None:
        return Perm.MANAGE_CATALOG

    @extend_schema(request=s.CategoryWriteSerializer(partial=True), responses={200: s.CategorySerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG], summary=_lazy("Change a category"),
                   description=_lazy("Only the fields given change."))
    def patch(self, request, slug, pk):
        data = s.CategoryWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        category = self.get_category(pk)
        services.category_update(actor=self.membership, category=category, **data.validated_data)
        return Response(s.CategorySerializer(self.get_category(pk)).data)

    @extend_schema(request=None, responses={204: OpenApiResponse(description=_lazy("Deleted")),
                                            **errors(403, 404)}, tags=[TAG], summary=_lazy("Delete a category"),
                   description=_lazy("Its products stay, without a category."))
    def delete(self, request, slug, pk):
        services.category_delete(actor=self.membership, category=self.get_category(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SupplierListView(CatalogAPIView):
    """The community's suppliers with their contacts (catalog managers only)."""

    def required_permission(self, request) -> Perm | None:
        return Perm.MANAGE_CATALOG

    filter_backends = FILTER_BACKENDS
    filterset_class = filters.SupplierFilter
    queryset = Supplier.objects.none()

    @extend_schema(responses={200: s.SupplierSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Suppliers"))
    def get(self, request, slug):
        page = self.paginate_queryset(self.filter_queryset(selectors.supplier_list(self.community)))
        return self.get_paginated_response(s.SupplierSerializer(page, many=True).data)

    @extend_schema(request=s.SupplierWriteSerializer, responses={201: s.SupplierSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG], summary=_lazy("Add a supplier"))
    def post(self, request, slug):
        data = s.SupplierWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        supplier = services.supplier_create(actor=self.membership, **data.validated_data)
        return Response(s.SupplierSerializer(self.get_supplier(supplier.pk)).data, status=status.HTTP_201_CREATED)


class SupplierDetailView(CatalogAPIView):
    """One supplier: read, change, delete (only once no product comes from it)."""

    def required_permission(self, request) -> Perm | None:
        return Perm.MANAGE_CATALOG

    @extend_schema(responses={200: s.SupplierSerializer, **errors(403, 404)}, tags=[TAG], summary=_lazy("A supplier"))
    def get(self, request, slug, pk):
        return Response(s.SupplierSerializer(self.get_supplier(pk)).data)

    @extend_schema(request=s.SupplierWriteSerializer(partial=True), responses={200: s.SupplierSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG], summary=_lazy("Change a supplier"),
                   description=_lazy("Only the fields given change."))
    def patch(self, request, slug, pk):
        data = s.SupplierWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        supplier = self.get_supplier(pk)
        services.supplier_update(actor=self.membership, supplier=supplier, **data.validated_data)
        return Response(s.SupplierSerializer(self.get_supplier(pk)).data)

    @extend_schema(request=None, responses={204: OpenApiResponse(description=_lazy("Deleted")),
                                            **errors(403, 404, 409)}, tags=[TAG], summary=_lazy("Delete a supplier"),
                   description=_lazy("Refused (409 `supplier_in_use`) while products come from it: purchase "
                                     "sheets need the link."))
    def delete(self, request, slug, pk):
        services.supplier_delete(actor=self.membership, supplier=self.get_supplier(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
