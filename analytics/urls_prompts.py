"""The analytics dashboard's prompts page (analytics_console namespace, under /console/)."""

from django.urls import path

from analytics import views_prompts

urlpatterns: list = [
    path("<slug:slug>/analytics/prompts/", views_prompts.prompts, name="prompts"),
]
