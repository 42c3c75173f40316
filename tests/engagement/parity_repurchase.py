"""Console route → API routes doing the same, for the repurchase area (read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    # The page's numbers (30 days, per day) and its list of recent prompts.
    "engagement_console:repurchase": ["api-admin-repurchase-summary", "api-admin-repurchase-prompts"],
}
NOT_YET: dict[str, str] = {}
