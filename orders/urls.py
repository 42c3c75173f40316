from django.urls import path

from orders import coupon_views, sharing, views

app_name = "orders"

urlpatterns = [
    path("c/<slug:slug>/buy/", views.group_buys, name="group_buys"),
    path("c/<slug:slug>/buy/<int:pk>/", views.group_buy, name="group_buy"),
    path("c/<slug:slug>/buy/<int:pk>/poster.png", sharing.group_buy_poster, name="group_buy_poster"),
    path("c/<slug:slug>/buy/<int:pk>/jielong/", sharing.jielong_list, name="jielong"),
    path("c/<slug:slug>/buy/<int:pk>/live.json", views.group_buy_live, name="group_buy_live"),
    path("c/<slug:slug>/orders/", views.my_orders, name="my_orders"),
    path("c/<slug:slug>/orders/<int:pk>/", views.order, name="order"),
    path("c/<slug:slug>/orders/<int:pk>/pay/", views.order_pay, name="order_pay"),
    path("c/<slug:slug>/orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("c/<slug:slug>/orders/<int:pk>/pickup.png", views.pickup_qr, name="pickup_qr"),
    path("c/<slug:slug>/teams/<str:code>/", views.team, name="team"),
    path("c/<slug:slug>/teams/<str:code>/poster.png", sharing.team_poster, name="team_poster"),
    path("c/<slug:slug>/wallet/", views.wallet, name="wallet"),
    path("c/<slug:slug>/coupons/", coupon_views.my_coupons, name="my_coupons"),
]
