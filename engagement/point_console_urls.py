"""Console pages of the points area: levels (engagement_console namespace)."""

urlpatterns: list = []
