from django.urls import include, path

from orders.api import views

C = "communities/<slug:slug>/"

urlpatterns = [
    path(C + "group-buys/", views.GroupBuyListView.as_view(), name="api-group-buys"),
    path(C + "group-buys/<int:pk>/", views.GroupBuyDetailView.as_view(), name="api-group-buy"),
    path(C + "group-buys/<int:pk>/progress/", views.GroupBuyProgressView.as_view(), name="api-group-buy-progress"),
    path(C + "group-buys/<int:pk>/teams/", views.TeamOpenView.as_view(), name="api-team-open"),
    path(C + "teams/<slug:code>/", views.TeamDetailView.as_view(), name="api-team"),
    path(C + "teams/<slug:code>/join/", views.TeamJoinView.as_view(), name="api-team-join"),
    path(C + "orders/", views.OrderListView.as_view(), name="api-orders"),
    path(C + "orders/<int:pk>/", views.OrderDetailView.as_view(), name="api-order"),
    path(C + "orders/<int:pk>/cancel/", views.OrderCancelView.as_view(), name="api-order-cancel"),
    path(C + "orders/<int:pk>/pay/", views.OrderPayView.as_view(), name="api-order-pay"),
    path(C + "wallet/", views.WalletView.as_view(), name="api-wallet"),
    path(C + "wallet/entries/", views.WalletEntryListView.as_view(), name="api-wallet-entries"),
    path(C + "admin/orders/mark-paid/", views.MarkPaidView.as_view(), name="api-admin-mark-paid"),
    path(C + "admin/orders/<int:pk>/refund/", views.OrderRefundView.as_view(), name="api-admin-refund"),
    path(C + "admin/group-buys/<int:pk>/arrived/", views.GroupBuyArrivedView.as_view(), name="api-admin-arrived"),
    path(C + "admin/pickup/", views.PickupView.as_view(), name="api-admin-pickup"),
    path(C + "admin/orders/<int:pk>/decline-transfer/", views.TransferDeclineView.as_view(),
         name="api-admin-decline-transfer"),
    path(C + "admin/transfers/", views.TransferReportListView.as_view(), name="api-admin-transfers"),
    path(C + "admin/refunds/", views.RefundListView.as_view(), name="api-admin-refunds"),
    path(C + "admin/refunds/paid-back/", views.RefundsPaidBackView.as_view(), name="api-admin-refunds-paid-back"),
    path(C + "admin/wallets/top-up/", views.WalletTopUpView.as_view(), name="api-admin-top-up"),
]

urlpatterns += [
    path(C + "admin/orders/", views.AdminOrderListView.as_view(), name="api-admin-orders"),
    path(C + "admin/orders/<int:pk>/", views.AdminOrderDetailView.as_view(), name="api-admin-order"),
    path(C + "admin/orders/<int:pk>/ship/", views.OrderShipView.as_view(), name="api-admin-ship"),
    path(C + "admin/orders/<int:pk>/deliver/", views.OrderDeliverView.as_view(), name="api-admin-deliver"),
    path(C + "admin/wallets/", views.AdminWalletListView.as_view(), name="api-admin-wallets"),
    path(C + "admin/wallets/<int:member_id>/entries/", views.AdminWalletEntryListView.as_view(),
         name="api-admin-wallet-entries"),
    path(C + "admin/commissions/", views.CommissionListView.as_view(), name="api-admin-commissions"),
]

urlpatterns += [
    path(C + "admin/group-buys/", views.AdminGroupBuyCreateView.as_view(), name="api-admin-group-buys"),
    path(C + "admin/group-buys/<int:pk>/", views.AdminGroupBuyDetailView.as_view(), name="api-admin-group-buy"),
    path(C + "admin/group-buys/<int:pk>/copy/", views.AdminGroupBuyCopyView.as_view(), name="api-admin-group-buy-copy"),
    path(C + "admin/group-buys/<int:pk>/publish/", views.AdminGroupBuyPublishView.as_view(),
         name="api-admin-group-buy-publish"),
    path(C + "admin/group-buys/<int:pk>/cancel/", views.AdminGroupBuyCancelView.as_view(),
         name="api-admin-group-buy-cancel"),
    path(C + "admin/group-buys/<int:pk>/purchase-sheet/", views.PurchaseSheetView.as_view(),
         name="api-admin-purchase-sheet"),
    path(C + "admin/group-buys/<int:pk>/pickup-sheets/<int:point_pk>/", views.PickupSheetView.as_view(),
         name="api-admin-pickup-sheet"),
    path(C + "admin/pickup-points/", views.PickupPointListView.as_view(), name="api-admin-pickup-points"),
    path(C + "admin/pickup-points/<int:pk>/", views.PickupPointDetailView.as_view(), name="api-admin-pickup-point"),
    path("", include("orders.api.coupon_admin_urls")),
    path("", include("orders.api.coupon_member_urls")),
]
