"""The community side of partner shops, in the admin console: connections, products to review,
the webhook log of the community's events."""

from django.urls import include, path

app_name = "partners_console"

urlpatterns = [
    path("", include("partners.console_pages_urls")),
]
