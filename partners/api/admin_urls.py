"""The community admin's API for partner shops (under /api/v1/)."""

from django.urls import path

from partners.api import admin as views

C = "communities/<slug:slug>/partners/"

urlpatterns = [
    path(C + "connections/", views.ConnectionListView.as_view(), name="api-admin-partner-connections"),
    path(C + "connections/<int:pk>/", views.ConnectionView.as_view(), name="api-admin-partner-connection"),
    path(C + "connections/<int:pk>/accept/", views.ConnectionAcceptView.as_view(),
         name="api-admin-partner-connection-accept"),
    path(C + "connections/<int:pk>/refuse/", views.ConnectionRefuseView.as_view(),
         name="api-admin-partner-connection-refuse"),
    path(C + "connections/<int:pk>/end/", views.ConnectionEndView.as_view(), name="api-admin-partner-connection-end"),
    path(C + "directory/", views.DirectoryView.as_view(), name="api-admin-partner-directory"),
    path(C + "products/", views.ReviewProductListView.as_view(), name="api-admin-partner-products"),
    path(C + "products/<int:pk>/approve/", views.ReviewProductApproveView.as_view(),
         name="api-admin-partner-product-approve"),
    path(C + "products/<int:pk>/reject/", views.ReviewProductRejectView.as_view(),
         name="api-admin-partner-product-reject"),
    path(C + "deliveries/", views.DeliveryListView.as_view(), name="api-admin-partner-deliveries"),
    path(C + "deliveries/<int:pk>/redeliver/", views.DeliveryRedeliverView.as_view(),
         name="api-admin-partner-delivery-redeliver"),
]
