"""Console route → API routes doing the same, for the loyalty area (read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "orders_console:coupons": ["api-admin-coupons"],
    "orders_console:coupon_new": ["api-admin-coupons"],
    "orders_console:coupon": ["api-admin-coupon", "api-admin-coupon-batches", "api-admin-coupon-redemptions"],
    "orders_console:coupon_edit": ["api-admin-coupon"],
    # GET …/hand-out/?segment=… counts the members (the console's preview); POST hands it out.
    "engagement_console:coupon_hand_out": ["api-admin-coupon-hand-out"],
}
NOT_YET: dict[str, str] = {}
