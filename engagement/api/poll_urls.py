"""API routes of the polls area."""

urlpatterns: list = []
