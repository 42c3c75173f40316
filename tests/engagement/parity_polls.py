"""Console route → API routes doing the same, for the polls area (read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "engagement_console:polls": ["api-admin-polls"],
    "engagement_console:poll_new": ["api-admin-polls"],
    "engagement_console:poll": ["api-admin-poll", "api-admin-poll-results"],
    "engagement_console:poll_edit": ["api-admin-poll"],
    "engagement_console:poll_open": ["api-admin-poll-open"],
    "engagement_console:poll_close": ["api-admin-poll-close"],
    "engagement_console:poll_delete": ["api-admin-poll"],
}
NOT_YET: dict[str, str] = {}
