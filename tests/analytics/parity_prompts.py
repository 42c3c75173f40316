"""Console route → API routes doing the same, for the analytics prompts page (read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "analytics_console:prompts": ["api-analytics-prompts", "api-analytics-prompts-daily"],
}
NOT_YET: dict[str, str] = {}
