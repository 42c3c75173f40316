"""The analytics dashboard's funnel page (analytics_console namespace, under /console/)."""

from django.urls import path

from analytics import views_funnel

urlpatterns = [
    path("<slug:slug>/analytics/funnel/", views_funnel.funnel, name="funnel"),
]
