"""The analytics dashboard's engagement page (analytics_console namespace, under /console/)."""

from django.urls import path

from analytics import views_engagement

urlpatterns = [
    path("<slug:slug>/analytics/engagement/", views_engagement.engagement, name="engagement"),
]
