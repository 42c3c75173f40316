"""The analytics dashboard's leaders page (analytics_console namespace, under /console/)."""

urlpatterns: list = []
