"""API routes of the events area."""

urlpatterns: list = []
