"""Member pages of 积分兑换 (engagement namespace)."""

from django.urls import path

from engagement import points_shop_views as views

urlpatterns = [
    path("c/<slug:slug>/points/offers/<int:pk>/exchange/", views.points_exchange, name="points_exchange"),
]
