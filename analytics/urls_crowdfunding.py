"""The analytics dashboard's crowdfunding page (analytics_console namespace, under /console/)."""

urlpatterns: list = []
