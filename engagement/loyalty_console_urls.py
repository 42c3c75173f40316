"""Console pages of the loyalty area (engagement_console namespace)."""

from django.urls import path

from engagement import coupon_handout_console

urlpatterns = [
    path("<slug:slug>/coupons/<int:pk>/hand-out/", coupon_handout_console.coupon_hand_out, name="coupon_hand_out"),
]
