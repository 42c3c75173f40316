from django.urls import path

from catalog.api import views

urlpatterns = [
    path("communities/<slug:slug>/products/", views.ProductListView.as_view(), name="api-products"),
    path("communities/<slug:slug>/products/<int:pk>/", views.ProductDetailView.as_view(), name="api-product"),
    path("communities/<slug:slug>/products/<int:pk>/images/", views.ProductImageListView.as_view(),
         name="api-product-images"),
    path("communities/<slug:slug>/products/<int:pk>/images/<int:image_pk>/", views.ProductImageDetailView.as_view(),
         name="api-product-image"),
    path("communities/<slug:slug>/categories/", views.CategoryListView.as_view(), name="api-categories"),
    path("communities/<slug:slug>/suppliers/", views.SupplierListView.as_view(), name="api-suppliers"),
]
