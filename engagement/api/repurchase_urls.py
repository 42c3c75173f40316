"""API of the repurchase area."""

urlpatterns: list = []
