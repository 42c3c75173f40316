"""Console route → API routes doing the same, for the analytics leaders page
(read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "analytics_console:leaders": ["api-analytics-leaders", "api-analytics-commission-recipients"],
}
NOT_YET: dict[str, str] = {}
