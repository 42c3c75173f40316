"""Member pages of the loyalty area (engagement namespace)."""

urlpatterns: list = []
