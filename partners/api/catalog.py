"""Partner API: the communities a key reaches, and the partner's catalog in each (push by SKU).

Each view: the key's scope (HasScopes) → the partner's active connection to the community named in
the URL (connection_for: 404 for an unconnected community or one the key is not limited to) →
input serializer → catalog.supplier_push → output serializer. A partner sees and changes only the
products of its connection's supplier.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from catalog import supplier_push
from catalog.models import Product
from core.api import error_responses as errors
from core.exceptions import NotFound
from core.filters import FILTER_BACKENDS, SyncFilterSet
from core.inputs import parse_id
from partners import selectors
from partners.api import serializers as s
from partners.api.auth import PartnerAPIMixin, connection_for
from partners.models import Connection, Scope

TAG = "partner"
COMMUNITY = OpenApiParameter("community_id", int, OpenApiParameter.PATH,
                             description=_lazy("A community the partner is connected to (GET communities/)"))
SKU = OpenApiParameter("sku", {"type": "string", "pattern": s.SKU_REGEX, "maxLength": 64}, OpenApiParameter.PATH,
                       description=_lazy("The partner's own SKU: 1 to 64 of A-Z a-z 0-9 . _ -"))


class PartnerView(PartnerAPIMixin, GenericAPIView):
    """Resolves ``community_id`` to ``self.connection`` (after the key and its scope are checked)."""

    filter_backends = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if "community_id" in kwargs:
            community_id = parse_id(kwargs["community_id"])
            if community_id is None:
                raise NotFound(_lazy("Community not found."), code="community_not_found")
            self.connection: Connection = connection_for(request, community_id)
            self.community = self.connection.community

    def push_args(self) -> dict:
        return {"community": self.community, "supplier": self.connection.supplier}

    @property
    def partner_name(self) -> str:
        return self.request.auth.partner.name

    def context(self) -> dict:
        return {"request": self.request}

    def product_out(self, product: Product) -> dict:
        product = selectors.partner_products(self.connection).get(pk=product.pk)
        return s.PartnerProductSerializer(product, context=self.context()).data


class CommunityListView(PartnerView):
    """The communities this key reaches: the partner's active connections (any scope)."""

    required_scopes = {}

    @extend_schema(responses={200: s.PartnerConnectionSerializer(many=True), **errors(400, 401, 429)}, tags=[TAG],
                   summary=_lazy("Connected communities"))
    def get(self, request):
        page = self.paginate_queryset(selectors.partner_connections(request.auth))
        return self.get_paginated_response(s.PartnerConnectionSerializer(page, many=True).data)


class ProductFilter(SyncFilterSet):
    review = django_filters.ChoiceFilter(choices=Product.Review.choices, label=_lazy("approved, pending or rejected"))

    class Meta:
        model = Product
        fields = []


class ProductListView(PartnerView):
    """GET: the partner's products in the community, oldest change first. PUT: push up to 100 at once."""

    required_scopes = {"GET": Scope.READ_PRODUCTS, "PUT": Scope.WRITE_PRODUCTS}
    filter_backends = FILTER_BACKENDS
    filterset_class = ProductFilter
    queryset = Product.objects.none()  # the model, for the schema; rows come from the selector

    @extend_schema(parameters=[COMMUNITY],
                   responses={200: s.PartnerProductSerializer(many=True), **errors(400, 401, 403, 404, 429)},
                   tags=[TAG], summary=_lazy("The partner's products"),
                   description=_lazy("Ordered by updated_at: keep the last one seen and ask with updated_since."))
    def get(self, request, community_id):
        page = self.paginate_queryset(self.filter_queryset(selectors.partner_products(self.connection)))
        return self.get_paginated_response(s.PartnerProductSerializer(page, many=True, context=self.context()).data)

    @extend_schema(parameters=[COMMUNITY], request=s.PartnerProductBatchSerializer,
                   responses={200: s.PartnerProductBatchResultSerializer,
                              **errors(400, 401, 403, 404, 409, 429)},
                   tags=[TAG],
                   summary=_lazy("Push products (batch)"), operation_id="partner_products_push_batch",
                   description=_lazy("Creates or updates each product by its SKU, all or nothing: one invalid "
                                     "product stores none (errors named products.<index>.<field>)."))
    def put(self, request, community_id):
        data = s.PartnerProductBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = [(item["sku"], {k: v for k, v in item.items() if k != "sku"})
                 for item in data.validated_data["products"]]
        results = supplier_push.product_push_many(
            **self.push_args(), products=items, review_required=self.connection.review_products,
            partner_name=self.partner_name)
        ids = [product.pk for product, _created in results]
        products = {p.pk: p for p in selectors.partner_products(self.connection).filter(pk__in=ids)}
        created = sum(1 for _product, was_created in results if was_created)
        return Response({"created": created, "updated": len(results) - created,
                         "products": s.PartnerProductSerializer([products[i] for i in ids], many=True,
                                                         context=self.context()).data})


class ProductDetailView(PartnerView):
    """GET: one of the partner's products by SKU. PUT: create or update it (idempotent)."""

    required_scopes = {"GET": Scope.READ_PRODUCTS, "PUT": Scope.WRITE_PRODUCTS}

    @extend_schema(parameters=[COMMUNITY, SKU],
                   responses={200: s.PartnerProductSerializer, **errors(400, 401, 403, 404, 429)},
                   tags=[TAG], summary=_lazy("A product of the partner"))
    def get(self, request, community_id, sku):
        product = supplier_push.partner_product(**self.push_args(), sku=sku)
        return Response(self.product_out(product))

    @extend_schema(parameters=[COMMUNITY, SKU], request=s.PartnerProductPushSerializer,
                   responses={200: s.PartnerProductSerializer, 201: s.PartnerProductSerializer,
                              **errors(400, 401, 403, 404, 409, 429)},
                   tags=[TAG], summary=_lazy("Push a product"),
                   description=_lazy("201 when the SKU is new (name, unit and list_price required), 200 when it "
                                     "updates the product (only the fields sent change). Sending it again changes "
                                     "nothing. In a community that reviews pushed products, a new product waits "
                                     "(review: pending) and is off sale until an admin approves it."))
    def put(self, request, community_id, sku):
        supplier_push.clean_sku(sku)
        data = s.PartnerProductPushSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product, created = supplier_push.product_push(
            **self.push_args(), sku=sku, fields=dict(data.validated_data),
            review_required=self.connection.review_products, partner_name=self.partner_name)
        return Response(self.product_out(product), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ProductStockView(PartnerView):
    """Set a product's stock: the units the partner can still supply to rounds published from now on."""

    required_scopes = {"PUT": Scope.WRITE_PRODUCTS}

    @extend_schema(parameters=[COMMUNITY, SKU], request=s.PartnerStockSerializer,
                   responses={200: s.PartnerProductSerializer, **errors(400, 401, 403, 404, 429)}, tags=[TAG],
                   summary=_lazy("Set a product's stock"),
                   description=_lazy("Absolute (sending it twice is harmless), at most 100,000,000; null for "
                                     "unlimited. Rounds already published have reserved their quantity on offer: "
                                     "this is what is left for new rounds."))
    def put(self, request, community_id, sku):
        supplier_push.clean_sku(sku)
        data = s.PartnerStockSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = supplier_push.product_set_stock(**self.push_args(), sku=sku, stock=data.validated_data["stock"],
                                                  partner_name=self.partner_name)
        return Response(self.product_out(product))


class ProductImageListView(PartnerView):
    """Upload a photo of a product (multipart): checked, stripped of EXIF, thumbnailed. At most 9."""

    required_scopes = {"POST": Scope.WRITE_PRODUCTS}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(parameters=[COMMUNITY, SKU], request={"multipart/form-data": s.PartnerImageUploadSerializer},
                   responses={201: s.PartnerProductImageSerializer, **errors(400, 401, 403, 404, 429)}, tags=[TAG],
                   summary=_lazy("Add a product photo"))
    def post(self, request, community_id, sku):
        supplier_push.clean_sku(sku)
        data = s.PartnerImageUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        image = supplier_push.product_image_push(**self.push_args(), sku=sku, upload=data.validated_data["image"],
                                                 partner_name=self.partner_name)
        return Response(s.PartnerProductImageSerializer(image, context=self.context()).data,
                        status=status.HTTP_201_CREATED)


class ProductImageDetailView(PartnerView):
    """Remove a photo of a product."""

    required_scopes = {"DELETE": Scope.WRITE_PRODUCTS}

    @extend_schema(parameters=[COMMUNITY, SKU, OpenApiParameter("image_id", int, OpenApiParameter.PATH)],
                   request=None, responses={204: OpenApiResponse(description=_lazy("Removed")),
                                            **errors(400, 401, 403, 404, 429)},
                   tags=[TAG], summary=_lazy("Remove a product photo"))
    def delete(self, request, community_id, sku, image_id):
        image_id = parse_id(image_id)
        if image_id is None:
            raise NotFound(_lazy("Photo not found."), code="image_not_found")
        supplier_push.product_image_delete(**self.push_args(), sku=sku, image_id=image_id,
                                           partner_name=self.partner_name)
        return Response(status=status.HTTP_204_NO_CONTENT)
