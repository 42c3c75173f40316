"""Console pages of the repurchase area (engagement_console namespace)."""

urlpatterns: list = []
