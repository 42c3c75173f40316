"""Console route → API routes doing the same, for the events area (read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "engagement_console:events": ["api-admin-events"],
    "engagement_console:event_new": ["api-admin-events", "api-admin-event-cover"],
    "engagement_console:event": ["api-admin-event", "api-admin-event-rsvps"],
    "engagement_console:event_edit": ["api-admin-event", "api-admin-event-cover"],
    "engagement_console:event_publish": ["api-admin-event-publish"],
    "engagement_console:event_cancel": ["api-admin-event-cancel"],
    "engagement_console:attendees_csv": ["api-admin-event-attendees"],
    "engagement_console:rsvps_mark_received": ["api-admin-rsvps-mark-paid"],
    "engagement_console:rsvp_transfer_decline": ["api-admin-rsvp-decline-transfer"],
    "engagement_console:check_in": ["api-admin-check-in", "api-admin-event"],
}
NOT_YET: dict[str, str] = {}
