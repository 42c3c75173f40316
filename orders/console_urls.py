from django.urls import path

from orders import console, coupon_console

app_name = "orders_console"

urlpatterns = [
    path("<slug:slug>/group-buys/", console.group_buys, name="group_buys"),
    path("<slug:slug>/group-buys/new/", console.group_buy_new, name="group_buy_new"),
    path("<slug:slug>/group-buys/<int:pk>/", console.group_buy, name="group_buy"),
    path("<slug:slug>/group-buys/<int:pk>/edit/", console.group_buy_edit, name="group_buy_edit"),
    path("<slug:slug>/group-buys/<int:pk>/copy/", console.group_buy_copy, name="group_buy_copy"),
    path("<slug:slug>/group-buys/<int:pk>/publish/", console.group_buy_publish, name="group_buy_publish"),
    path("<slug:slug>/group-buys/<int:pk>/cancel/", console.group_buy_cancel, name="group_buy_cancel"),
    path("<slug:slug>/group-buys/<int:pk>/arrived/", console.group_buy_arrived, name="group_buy_arrived"),
    path("<slug:slug>/group-buys/<int:pk>/purchase-sheet/", console.purchase_sheet, name="purchase_sheet"),
    path("<slug:slug>/group-buys/<int:pk>/pickup-sheet/<int:point_pk>/", console.pickup_sheet,
         name="pickup_sheet"),
    path("<slug:slug>/orders/", console.orders, name="orders"),
    path("<slug:slug>/orders/mark-paid/", console.orders_mark_paid, name="orders_mark_paid"),
    path("<slug:slug>/orders/<int:pk>/ship/", console.order_ship, name="order_ship"),
    path("<slug:slug>/orders/<int:pk>/refund/", console.order_refund, name="order_refund"),
    path("<slug:slug>/orders/<int:pk>/decline-transfer/", console.order_transfer_decline,
         name="order_transfer_decline"),
    path("<slug:slug>/refunds/", console.refunds, name="refunds"),
    path("<slug:slug>/pickup/", console.pickup, name="pickup"),
    path("<slug:slug>/pickup/<int:pk>/complete/", console.pickup_complete, name="pickup_complete"),
    path("<slug:slug>/wallets/", console.wallets, name="wallets"),
    path("<slug:slug>/commissions/", console.commissions, name="commissions"),
    path("<slug:slug>/pickup-points/", console.pickup_points, name="pickup_points"),
    path("<slug:slug>/pickup-points/<int:pk>/", console.pickup_point_edit, name="pickup_point_edit"),
    path("<slug:slug>/pickup-points/<int:pk>/orders/", console.pickup_point_orders, name="pickup_point_orders"),
    path("<slug:slug>/coupons/", coupon_console.coupons, name="coupons"),
    path("<slug:slug>/coupons/new/", coupon_console.coupon_new, name="coupon_new"),
    path("<slug:slug>/coupons/<int:pk>/", coupon_console.coupon, name="coupon"),
    path("<slug:slug>/coupons/<int:pk>/edit/", coupon_console.coupon_edit, name="coupon_edit"),
]
