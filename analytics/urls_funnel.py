"""The analytics dashboard's funnel page (analytics_console namespace, under /console/)."""

urlpatterns: list = []
