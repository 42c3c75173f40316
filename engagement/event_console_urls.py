"""Console pages of the events area (engagement_console namespace)."""

urlpatterns: list = []
