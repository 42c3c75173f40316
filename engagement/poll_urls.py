"""Member pages of the polls area (engagement namespace)."""

urlpatterns: list = []
