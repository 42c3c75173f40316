"""API for members: my coupons, what a coupon takes off a basket."""

urlpatterns: list = []
