"""Console route → API routes doing the same, for the posts area (read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "engagement_console:posts": ["api-admin-posts"],
    "engagement_console:post_new": ["api-admin-posts"],
    "engagement_console:post_edit": ["api-admin-post", "api-admin-post-comments", "api-admin-post-cover"],
    "engagement_console:post_action": ["api-admin-post-publish", "api-admin-post-hide", "api-admin-post-unhide",
                                       "api-admin-post-pin", "api-admin-post"],
    "engagement_console:post_features": ["api-admin-post-features"],
    "engagement_console:post_images": ["api-admin-post-images", "api-admin-post-image", "api-admin-post-cover"],
    "engagement_console:comment_moderate": ["api-admin-comment-moderate", "api-admin-comment"],
    "engagement_console:reports": ["api-admin-reports"],
    "engagement_console:report_resolve": ["api-admin-report-resolve"],
    "engagement_console:engagement_settings": ["api-admin-engagement-settings"],
}
NOT_YET: dict[str, str] = {}
