"""The analytics dashboard's engagement page (analytics_console namespace, under /console/)."""

urlpatterns: list = []
