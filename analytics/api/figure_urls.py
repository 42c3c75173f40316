from django.urls import path

from analytics.api import figures as views

A = "communities/<slug:slug>/analytics/"

urlpatterns = [
    path(A + "overview/", views.OverviewView.as_view(), name="api-analytics-overview"),
    path(A + "members/", views.MembersView.as_view(), name="api-analytics-members"),
    path(A + "branches/", views.BranchesView.as_view(), name="api-analytics-branches"),
    path(A + "top-products/", views.TopProductsView.as_view(), name="api-analytics-top-products"),
    path(A + "rounds/", views.RoundsView.as_view(), name="api-analytics-rounds"),
    path(A + "repurchase/", views.RepurchaseView.as_view(), name="api-analytics-repurchase"),
    path(A + "sources/", views.SourcesView.as_view(), name="api-analytics-sources"),
    path(A + "cohorts/", views.CohortsView.as_view(), name="api-analytics-cohorts"),
]
