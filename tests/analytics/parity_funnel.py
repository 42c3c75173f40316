"""Console route → API routes doing the same, for the analytics funnel page (read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "analytics_console:funnel": ["api-analytics-funnel", "api-analytics-cohort-table"],
}
NOT_YET: dict[str, str] = {}
