"""Console route → API routes doing the same, for analytics (read by tests/test_console_api_parity.py).

The dashboard's sections (headline and series, members, top products, rounds, branches) and its CSV
tables each have an API figure; exports have their own routes."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "analytics_console:dashboard": ["api-analytics-overview", "api-analytics-members", "api-analytics-branches",
                                    "api-analytics-top-products", "api-analytics-rounds", "api-analytics-exports"],
    "analytics_console:exports": ["api-analytics-exports"],
    "analytics_console:export_download": ["api-analytics-export-download"],
}
NOT_YET: dict[str, str] = {}
