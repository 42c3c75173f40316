"""Member pages of the events area (engagement namespace)."""

urlpatterns: list = []
