"""API for members: my coupons, what a coupon takes off a basket."""

from django.urls import path

from orders.api import coupon_member as views

C = "communities/<slug:slug>/"

urlpatterns = [
    path(C + "coupons/", views.MyCouponsView.as_view(), name="api-my-coupons"),
    path(C + "coupons/quote/", views.CouponQuoteView.as_view(), name="api-coupon-quote"),
]
