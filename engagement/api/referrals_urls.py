"""API of the referrals area."""

urlpatterns: list = []
