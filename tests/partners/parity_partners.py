"""Console route → API routes doing the same, for partner shops (read by tests/test_console_api_parity.py)."""

API_FOR_CONSOLE: dict[str, list[str]] = {
    "partners_console:partners": ["api-admin-partner-connections", "api-admin-partner-directory",
                                  "api-admin-partner-products"],
    "partners_console:invite": ["api-admin-partner-connections"],
    "partners_console:connection_decide": ["api-admin-partner-connection-accept",
                                           "api-admin-partner-connection-refuse"],
    "partners_console:connection_review": ["api-admin-partner-connection"],
    "partners_console:connection_end": ["api-admin-partner-connection-end"],
    "partners_console:products": ["api-admin-partner-products"],
    "partners_console:product_review": ["api-admin-partner-product-approve", "api-admin-partner-product-reject"],
    "partners_console:deliveries": ["api-admin-partner-deliveries"],
    "partners_console:delivery_redeliver": ["api-admin-partner-delivery-redeliver"],
}
NOT_YET: dict[str, str] = {}
