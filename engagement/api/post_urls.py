"""API routes of the posts area."""

urlpatterns: list = []
