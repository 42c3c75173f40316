from django.urls import path

from catalog.api import views

urlpatterns = [
    path("communities/<slug:slug>/products/", views.ProductListView.as_view(), name="api-products"),
    path("communities/<slug:slug>/products/<int:pk>/", views.ProductDetailView.as_view(), name="api-product"),
    path("communities/<slug:slug>/products/<int:pk>/retire/", views.ProductRetireView.as_view(),
         name="api-product-retire"),
    path("communities/<slug:slug>/products/<int:pk>/restore/", views.ProductRestoreView.as_view(),
         name="api-product-restore"),
    path("communities/<slug:slug>/products/<int:pk>/images/", views.ProductImageListView.as_view(),
         name="api-product-images"),
    path("communities/<slug:slug>/products/<int:pk>/images/<int:image_pk>/", views.ProductImageDetailView.as_view(),
         name="api-product-image"),
    path("communities/<slug:slug>/categories/", views.CategoryListView.as_view(), name="api-categories"),
    path("communities/<slug:slug>/categories/<int:pk>/", views.CategoryDetailView.as_view(), name="api-category"),
    path("communities/<slug:slug>/suppliers/", views.SupplierListView.as_view(), name="api-suppliers"),
    path("communities/<slug:slug>/suppliers/<int:pk>/", views.SupplierDetailView.as_view(), name="api-supplier"),
]
