"""/api/v1/communities/<slug>/analytics/…: the figures of the dashboard's crowdfunding page."""

from django.urls import path

from analytics.api import figures_crowdfunding as views

A = "communities/<slug:slug>/analytics/"

urlpatterns: list = [
    path(A + "crowdfunding/", views.CrowdfundingView.as_view(), name="api-analytics-crowdfunding"),
    path(A + "collections/", views.CollectionsView.as_view(), name="api-analytics-collections"),
]
