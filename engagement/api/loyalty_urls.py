"""API of the loyalty area."""

from django.urls import path

from engagement.api import coupon_handout

C = "communities/<slug:slug>/"

urlpatterns: list = [
    path(C + "admin/coupons/<int:pk>/hand-out/", coupon_handout.CouponHandOutView.as_view(),
         name="api-admin-coupon-hand-out"),
]
