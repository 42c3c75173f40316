"""The analytics dashboard's crowdfunding page (analytics_console namespace, under /console/)."""

from django.urls import path

from analytics import views_crowdfunding

urlpatterns: list = [
    path("<slug:slug>/analytics/crowdfunding/", views_crowdfunding.crowdfunding, name="crowdfunding"),
]
