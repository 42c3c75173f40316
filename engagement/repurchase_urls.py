"""Member pages of the repurchase area (engagement namespace)."""

urlpatterns: list = []
