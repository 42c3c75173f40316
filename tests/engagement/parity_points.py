"""Console route → API routes doing the same, for the points area (read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    # The levels (GET/PUT with the members at each level) and the leaderboard of the week.
    "engagement_console:levels": ["api-admin-levels", "api-leaderboard"],
}
NOT_YET: dict[str, str] = {}
