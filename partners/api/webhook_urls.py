"""/api/v1/partner/webhooks/: endpoints, the delivery log, events (partners/api/webhooks.py)."""

from django.urls import path

from partners.api import webhooks as views

W = "webhooks/"

urlpatterns = [
    path(W + "endpoints/", views.EndpointListView.as_view(), name="api-partner-webhook-endpoints"),
    path(W + "endpoints/<str:endpoint_id>/", views.EndpointDetailView.as_view(), name="api-partner-webhook-endpoint"),
    path(W + "endpoints/<str:endpoint_id>/rotate-secret/", views.EndpointRotateSecretView.as_view(),
         name="api-partner-webhook-endpoint-rotate-secret"),
    path(W + "deliveries/", views.DeliveryListView.as_view(), name="api-partner-webhook-deliveries"),
    path(W + "deliveries/<str:delivery_id>/", views.DeliveryDetailView.as_view(),
         name="api-partner-webhook-delivery"),
    path(W + "deliveries/<str:delivery_id>/redeliver/", views.DeliveryRedeliverView.as_view(),
         name="api-partner-webhook-redeliver"),
    path(W + "events/", views.EventListView.as_view(), name="api-partner-webhook-events"),
]
