"""/api/v1/communities/<slug>/analytics/…: the figures of the dashboard's leaders page."""

from django.urls import path

from analytics.api import figures_leaders as views

A = "communities/<slug:slug>/analytics/"

urlpatterns: list = [
    path(A + "leaders/", views.LeadersView.as_view(), name="api-analytics-leaders"),
    path(A + "commission-recipients/", views.RecipientsView.as_view(), name="api-analytics-commission-recipients"),
]
