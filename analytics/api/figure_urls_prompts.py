"""/api/v1/communities/<slug>/analytics/…: the figures of the dashboard's prompts page."""

from django.urls import path

from analytics.api import figures_prompts as views

A = "communities/<slug:slug>/analytics/"

urlpatterns: list = [
    path(A + "prompts/", views.PromptsView.as_view(), name="api-analytics-prompts"),
    path(A + "prompts/daily/", views.PromptsDailyView.as_view(), name="api-analytics-prompts-daily"),
]
