"""The partner console (/partner/): sign up, staff, connections, API keys, webhook endpoints."""

from django.urls import include, path

app_name = "partners"

urlpatterns = [
    path("", include("partners.partner_pages_urls")),
]
