"""Console pages of 积分兑换 (engagement_console namespace)."""

from django.urls import path

from engagement import points_shop_views as views

urlpatterns = [
    path("<slug:slug>/points-shop/", views.rewards_console, name="points_rewards"),
    path("<slug:slug>/points-shop/<int:pk>/", views.rewards_console, name="points_reward"),
]
