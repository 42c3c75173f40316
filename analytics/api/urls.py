"""/api/v1/communities/<slug>/analytics/…: every figure of the dashboard, for owners' own tools."""

from django.urls import include, path

urlpatterns = [
    path("", include("analytics.api.figure_urls")),
    path("", include("analytics.api.export_urls")),
    path("", include("analytics.api.figure_urls_funnel")),
    path("", include("analytics.api.figure_urls_engagement")),
    path("", include("analytics.api.figure_urls_crowdfunding")),
    path("", include("analytics.api.figure_urls_prompts")),
    path("", include("analytics.api.figure_urls_leaders")),
]
