"""/api/v1/communities/<slug>/analytics/…: the figures of the dashboard's prompts page."""

urlpatterns: list = []
