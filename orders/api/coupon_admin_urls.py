"""API for admins: coupons, their hand-outs and redemptions."""

from django.urls import path

from orders.api import coupon_admin as views

C = "communities/<slug:slug>/admin/coupons/"

urlpatterns: list = [
    path(C, views.AdminCouponListView.as_view(), name="api-admin-coupons"),
    path(C + "<int:pk>/", views.AdminCouponDetailView.as_view(), name="api-admin-coupon"),
    path(C + "<int:pk>/redemptions/", views.AdminCouponRedemptionListView.as_view(),
         name="api-admin-coupon-redemptions"),
    path(C + "<int:pk>/batches/", views.AdminCouponBatchListView.as_view(), name="api-admin-coupon-batches"),
]
