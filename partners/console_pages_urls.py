"""Console pages of partner shops (the ``partners_console`` namespace, under /console/)."""

from django.urls import path

from partners import console_pages as pages

P = "<slug:slug>/partners/"

urlpatterns = [
    path(P, pages.partners, name="partners"),
    path(P + "invite/", pages.invite, name="invite"),
    path(P + "<int:pk>/decide/", pages.connection_decide, name="connection_decide"),
    path(P + "<int:pk>/review/", pages.connection_review, name="connection_review"),
    path(P + "<int:pk>/end/", pages.connection_end, name="connection_end"),
    path(P + "products/", pages.products, name="products"),
    path(P + "products/<int:pk>/review/", pages.product_review, name="product_review"),
    path(P + "deliveries/", pages.deliveries, name="deliveries"),
    path(P + "deliveries/<int:pk>/redeliver/", pages.delivery_redeliver, name="delivery_redeliver"),
]
