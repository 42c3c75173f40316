"""/api/v1/communities/<slug>/analytics/…: every figure of the dashboard, for owners' own tools."""

from django.urls import include, path

urlpatterns = [
    path("", include("analytics.api.figure_urls")),
    path("", include("analytics.api.export_urls")),
]
