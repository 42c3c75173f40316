"""Console pages of the posts area (engagement_console namespace)."""

urlpatterns: list = []
