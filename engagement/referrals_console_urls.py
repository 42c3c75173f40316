"""Console pages of the referrals area (engagement_console namespace)."""

urlpatterns: list = []
