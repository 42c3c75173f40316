"""The engagement page's figures in the analytics API."""

from django.urls import path

from analytics.api import figures_engagement as views

A = "communities/<slug:slug>/analytics/"

urlpatterns = [
    path(A + "events/", views.EventsView.as_view(), name="api-analytics-events"),
    path(A + "posts/", views.PostsView.as_view(), name="api-analytics-posts"),
    path(A + "check-ins/", views.CheckInsView.as_view(), name="api-analytics-check-ins"),
    path(A + "points/", views.PointsView.as_view(), name="api-analytics-points"),
    path(A + "coupons/", views.CouponsView.as_view(), name="api-analytics-coupons"),
    path(A + "referrals/", views.ReferralsView.as_view(), name="api-analytics-referrals"),
]
