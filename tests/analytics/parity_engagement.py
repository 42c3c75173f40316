"""Console route → API routes doing the same, for the analytics engagement page (read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {}
NOT_YET: dict[str, str] = {}
