"""Console route → API routes doing the same, for the analytics crowdfunding page
(read by tests/test_console_api_parity.py).

The page's headline, open and ended campaigns are api-analytics-crowdfunding (CSV: ?table=ended|open);
its collections are api-analytics-collections."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "analytics_console:crowdfunding": ["api-analytics-crowdfunding", "api-analytics-collections"],
}
NOT_YET: dict[str, str] = {}
