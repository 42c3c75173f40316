"""Member pages of the referrals area (engagement namespace)."""

urlpatterns: list = []
