"""Console route → API routes doing the same, for the analytics engagement page (read by tests/test_console_api_parity.py).

Each section of the page (events, posts, check-ins, points, coupons, referrals) and its CSV table has
an API figure with the same numbers for the same period and branch."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "analytics_console:engagement": ["api-analytics-events", "api-analytics-posts", "api-analytics-check-ins",
                                     "api-analytics-points", "api-analytics-coupons", "api-analytics-referrals"],
}
NOT_YET: dict[str, str] = {}
