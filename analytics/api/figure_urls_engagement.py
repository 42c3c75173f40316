"""/api/v1/communities/<slug>/analytics/…: the figures of the dashboard's engagement page."""

urlpatterns: list = []
