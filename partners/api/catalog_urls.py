"""/api/v1/partner/: communities and the partner's catalog in each (partners.api.catalog)."""

from django.urls import path

from partners.api import catalog as views

PRODUCT = "communities/<int:community_id>/products/<str:sku>/"

urlpatterns = [
    path("communities/", views.CommunityListView.as_view(), name="api-partner-communities"),
    path("communities/<int:community_id>/products/", views.ProductListView.as_view(), name="api-partner-products"),
    path(PRODUCT, views.ProductDetailView.as_view(), name="api-partner-product"),
    path(PRODUCT + "stock/", views.ProductStockView.as_view(), name="api-partner-product-stock"),
    path(PRODUCT + "images/", views.ProductImageListView.as_view(), name="api-partner-product-images"),
    path(PRODUCT + "images/<int:image_id>/", views.ProductImageDetailView.as_view(),
         name="api-partner-product-image"),
]
