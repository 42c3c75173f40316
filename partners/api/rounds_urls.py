"""/api/v1/partner/: rounds selling the partner's products, their lines and purchase sheets."""

from django.urls import path

from partners.api import rounds as views

ROUND = "communities/<int:community_id>/rounds/<int:round_id>/"

urlpatterns = [
    path("communities/<int:community_id>/rounds/", views.RoundListView.as_view(), name="api-partner-rounds"),
    path(ROUND, views.RoundDetailView.as_view(), name="api-partner-round"),
    path(ROUND + "lines/", views.RoundLineListView.as_view(), name="api-partner-round-lines"),
    path(ROUND + "purchase-sheet/", views.PurchaseSheetView.as_view(), name="api-partner-purchase-sheet"),
]
