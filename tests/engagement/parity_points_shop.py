"""Console route → API routes doing the same, for 积分兑换 (read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "engagement_console:points_rewards": ["api-admin-points-offers"],
    "engagement_console:points_reward": ["api-admin-points-offer"],
}
NOT_YET: dict[str, str] = {}
