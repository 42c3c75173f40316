"""API for admins: coupons, their hand-outs and redemptions."""

urlpatterns: list = []
