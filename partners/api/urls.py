"""/api/v1/partner/: what a partner system does with its key (see partners/api/auth.py)."""

from django.urls import include, path

urlpatterns = [
    path("", include("partners.api.catalog_urls")),
    path("", include("partners.api.rounds_urls")),
    path("", include("partners.api.fulfilment_urls")),
    path("", include("partners.api.webhook_urls")),
]
