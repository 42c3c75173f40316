"""API of 积分兑换."""

from django.urls import path

from engagement.api import points_shop as views

C = "communities/<slug:slug>/"

urlpatterns = [
    path(C + "points/offers/", views.PointsRewardListView.as_view(), name="api-points-offers"),
    path(C + "points/offers/<int:pk>/exchange/", views.PointsExchangeView.as_view(), name="api-points-exchange"),
    path(C + "admin/points/offers/", views.AdminPointsRewardListView.as_view(), name="api-admin-points-offers"),
    path(C + "admin/points/offers/<int:pk>/", views.AdminPointsRewardView.as_view(), name="api-admin-points-offer"),
]
