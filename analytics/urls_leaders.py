"""The analytics dashboard's leaders page (analytics_console namespace, under /console/)."""

from django.urls import path

from analytics import views_leaders

urlpatterns: list = [
    path("<slug:slug>/analytics/leaders/", views_leaders.leaders, name="leaders"),
]
