"""Console route → API routes doing the same, for analytics (read by tests/test_console_api_parity.py).

The dashboard's sections (headline and series, members, top products, rounds, branches) and its CSV
tables each have an API figure; those routes come with the analytics API (helper "aapi"'s branch),
so the parity test fails until both branches are merged."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "analytics_console:dashboard": ["api-analytics-overview", "api-analytics-members", "api-analytics-branches",
                                    "api-analytics-top-products", "api-analytics-rounds", "api-analytics-exports"],
}
NOT_YET: dict[str, str] = {}
