"""/api/v1/communities/<slug>/analytics/…: the figures of the dashboard's funnel page."""

from django.urls import path

from analytics.api import figures_funnel as views

A = "communities/<slug:slug>/analytics/"

urlpatterns = [
    path(A + "funnel/", views.FunnelView.as_view(), name="api-analytics-funnel"),
    path(A + "cohort-table/", views.CohortTableView.as_view(), name="api-analytics-cohort-table"),
]
