"""Console pages of the polls area (engagement_console namespace)."""

urlpatterns: list = []
