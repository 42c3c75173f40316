from django.urls import path

from catalog import console

app_name = "catalog"

urlpatterns = [
    path("<slug:slug>/products/", console.products, name="products"),
    path("<slug:slug>/products/new/", console.product_new, name="product_new"),
    path("<slug:slug>/products/<int:pk>/", console.product_edit, name="product_edit"),
    path("<slug:slug>/products/<int:pk>/images/<int:image_pk>/delete/", console.product_image_delete,
         name="product_image_delete"),
    path("<slug:slug>/categories/", console.categories, name="categories"),
    path("<slug:slug>/suppliers/", console.suppliers, name="suppliers"),
    path("<slug:slug>/suppliers/<int:pk>/", console.supplier_edit, name="supplier_edit"),
]
