"""The analytics dashboard in the console (owners, admins; leaders for their branch)."""

from django.urls import include, path

app_name = "analytics_console"

urlpatterns = [
    path("", include("analytics.dashboard_urls")),
    path("", include("analytics.export_console_urls")),
    path("", include("analytics.urls_funnel")),
    path("", include("analytics.urls_engagement")),
    path("", include("analytics.urls_crowdfunding")),
    path("", include("analytics.urls_prompts")),
    path("", include("analytics.urls_leaders")),
]
