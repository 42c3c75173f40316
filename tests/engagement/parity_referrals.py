"""Console route → API routes doing the same, for the referrals area (read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "engagement_console:referrals": ["api-admin-referrals", "api-admin-referral-stats"],
    "engagement_console:referral_approve": ["api-admin-referral-approve"],
    "engagement_console:referral_reject": ["api-admin-referral-reject"],
}
NOT_YET: dict[str, str] = {}
