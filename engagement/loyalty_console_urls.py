"""Console pages of the loyalty area (engagement_console namespace)."""

urlpatterns: list = []
