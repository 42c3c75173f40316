"""The analytics dashboard's prompts page (analytics_console namespace, under /console/)."""

urlpatterns: list = []
