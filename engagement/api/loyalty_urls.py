"""API of the loyalty area."""

urlpatterns: list = []
