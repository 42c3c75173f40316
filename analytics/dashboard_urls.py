"""The analytics dashboard (analytics_console namespace, under /console/)."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("<slug:slug>/analytics/", views.dashboard, name="dashboard"),
]
