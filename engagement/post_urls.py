"""Member pages of the posts area (engagement namespace)."""

urlpatterns: list = []
