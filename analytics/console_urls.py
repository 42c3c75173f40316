"""The analytics dashboard in the console (owners, admins; leaders for their branch)."""

from django.urls import include, path

app_name = "analytics_console"

urlpatterns = [
    path("", include("analytics.dashboard_urls")),
    path("", include("analytics.export_console_urls")),
]
