"""Every action and list of the console has an API operation (issue 9): the console's routes are read
from its URLconf, so a new console page or action fails here until the API has it too (or it is
listed below as not yet done, with the reason, so the gap stays visible)."""

from django.urls import get_resolver

from tests.engagement import (
    parity_events, parity_loyalty, parity_points, parity_points_shop, parity_polls, parity_posts, parity_referrals,
    parity_repurchase,
)
from tests.analytics import (
    parity_analytics, parity_crowdfunding, parity_engagement, parity_funnel, parity_leaders, parity_prompts,
)
from tests.partners import parity_partners

# Console route → the API routes that do the same.
API_FOR_CONSOLE = {
    "console:dashboard": ["api-community", "api-members", "api-join-requests"],
    "console:settings": ["api-community-settings", "api-community", "api-community-cover",
                         "api-community-payment-qr"],
    "console:members": ["api-members"],
    "console:member_role": ["api-member", "api-community-transfer-ownership"],
    "console:member_branch": ["api-member"],
    "console:member_ban": ["api-member-ban"],
    "console:member_unban": ["api-member-unban"],
    "console:requests": ["api-join-requests"],
    "console:request_decide": ["api-join-request-approve", "api-join-request-decline"],
    "console:invites": ["api-invites"],
    "console:invite_revoke": ["api-invite-revoke"],
    "console:branches": ["api-branches"],
    "console:branch_edit": ["api-branch"],
    "console:branch_retire": ["api-branch-retire"],
    "console:branch_restore": ["api-branch-restore"],
    "console:audit": ["api-audit"],
    "orders_console:group_buys": ["api-admin-group-buys"],
    "orders_console:group_buy": ["api-group-buy", "api-group-buy-progress", "api-admin-orders"],
    "orders_console:group_buy_arrived": ["api-admin-arrived"],
    "orders_console:orders": ["api-admin-orders", "api-admin-order", "api-admin-transfers"],
    "orders_console:orders_mark_paid": ["api-admin-mark-paid"],
    "orders_console:order_ship": ["api-admin-ship"],
    "orders_console:order_refund": ["api-admin-refund"],
    "orders_console:order_transfer_decline": ["api-admin-decline-transfer"],
    "orders_console:refunds": ["api-admin-refunds", "api-admin-refunds-paid-back"],
    "orders_console:pickup": ["api-admin-pickup"],
    "orders_console:pickup_complete": ["api-admin-pickup", "api-admin-deliver"],
    "orders_console:wallets": ["api-admin-wallets", "api-admin-wallet-entries", "api-admin-top-up"],
    "orders_console:commissions": ["api-admin-commissions"],
    "orders_console:group_buy_new": ["api-admin-group-buys"],
    "orders_console:group_buy_publish": ["api-admin-group-buy-publish"],
    "orders_console:group_buy_edit": ["api-admin-group-buy"],
    "orders_console:group_buy_copy": ["api-admin-group-buy-copy"],
    "orders_console:group_buy_cancel": ["api-admin-group-buy-cancel"],
    "orders_console:purchase_sheet": ["api-admin-purchase-sheet"],
    "orders_console:pickup_sheet": ["api-admin-pickup-sheet"],
    "orders_console:pickup_points": ["api-admin-pickup-points"],
    "orders_console:pickup_point_edit": ["api-admin-pickup-point"],
    # admin/orders/?pickup_point=…&open_rounds=true&ordering=building
    "orders_console:pickup_point_orders": ["api-admin-orders", "api-admin-pickup-points"],
    "catalog:products": ["api-products"],
    "catalog:product_new": ["api-products"],
    "catalog:product_image_delete": ["api-product-image"],
    "catalog:categories": ["api-categories", "api-category"],
    "catalog:suppliers": ["api-suppliers"],
    "catalog:supplier_edit": ["api-supplier"],
    "catalog:product_edit": ["api-product", "api-product-retire", "api-product-restore"],
    "crowdfunding_console:campaigns": ["api-admin-campaigns"],
    "crowdfunding_console:collections": ["api-admin-collections"],
    "crowdfunding_console:collection": ["api-admin-collection"],
    "crowdfunding_console:collection_close": ["api-admin-collection-close"],
    "crowdfunding_console:campaign_new": ["api-admin-campaigns"],
    "crowdfunding_console:campaign": ["api-admin-campaign", "api-admin-campaign-pledges", "api-admin-campaign-updates",
                                      "api-admin-campaign-rewards", "api-campaign"],
    "crowdfunding_console:campaign_edit": ["api-admin-campaign"],
    "crowdfunding_console:campaign_launch": ["api-admin-campaign-launch"],
    "crowdfunding_console:campaign_cancel": ["api-admin-campaign-cancel"],
    "crowdfunding_console:campaign_update_post": ["api-admin-campaign-updates"],
    "crowdfunding_console:pledges_mark_received": ["api-admin-pledges-mark-paid"],
    "crowdfunding_console:pledge_transfer_decline": ["api-admin-pledge-decline-transfer"],
    "crowdfunding_console:pledge_ship": ["api-admin-pledge-ship"],
    "crowdfunding_console:campaign_rewards": ["api-admin-campaign-rewards"],
    "crowdfunding_console:reward_sheet": ["api-admin-campaign-rewards"],
    "crowdfunding_console:reward_hand_out": ["api-admin-campaign-hand-out"],
}

# Not in the API yet (issue 9 goes on): each with what is missing.
NOT_YET = {
    "console:invite_poster": "a printable poster page; the API gives the invite's link and QR",
    "console:sweep_failures": "failing periodic jobs are shown to admins in the console only",
}


for _area in (parity_events, parity_posts, parity_polls, parity_referrals, parity_repurchase, parity_loyalty,
              parity_points_shop, parity_points, parity_partners,
              parity_analytics, parity_funnel, parity_engagement, parity_crowdfunding, parity_prompts,
              parity_leaders):
    API_FOR_CONSOLE.update(_area.API_FOR_CONSOLE)
    NOT_YET.update(_area.NOT_YET)


def _routes():
    names = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    return names


CONSOLE_NAMESPACES = ("console:", "orders_console:", "catalog:", "crowdfunding_console:",
                      "engagement_console:", "partners_console:",
                      "analytics_console:")


def test_every_console_action_has_an_api_operation():
    routes = _routes()
    console = {name for name in routes if name.startswith(CONSOLE_NAMESPACES)}
    unmapped = console - set(API_FOR_CONSOLE) - set(NOT_YET)
    assert not unmapped, f"console routes with no API operation: {sorted(unmapped)}"
    missing_api = {name: api for name, api in API_FOR_CONSOLE.items() if set(api) - routes}
    assert not missing_api, f"API routes that do not exist: {missing_api}"
    # A gap that the API has closed must leave NOT_YET, and a console route that went away, both lists.
    assert not (set(API_FOR_CONSOLE) | set(NOT_YET)) - console
    assert not set(API_FOR_CONSOLE) & set(NOT_YET)
