"""Pages of the partner console (the ``partners`` namespace, under /partner/)."""

from django.urls import path

from partners import views

P = "<slug:partner_slug>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.signup, name="signup"),
    path(P, views.partner, name="partner"),
    path(P + "connect/", views.connect, name="connect"),
    path(P + "connections/<int:pk>/answer/", views.connection_answer, name="connection_answer"),
    path(P + "connections/<int:pk>/end/", views.connection_end, name="connection_end"),
    path(P + "staff/", views.staff_list, name="staff"),
    path(P + "staff/<int:pk>/remove/", views.staff_remove, name="staff_remove"),
    path(P + "keys/", views.keys, name="keys"),
    path(P + "keys/new/", views.key_new, name="key_new"),
    path(P + "keys/<int:pk>/created/", views.key_created, name="key_created"),
    path(P + "keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
    path(P + "webhooks/", views.endpoints, name="endpoints"),
    path(P + "webhooks/new/", views.endpoint_new, name="endpoint_new"),
    path(P + "webhooks/<int:pk>/", views.endpoint, name="endpoint"),
    path(P + "webhooks/<int:pk>/rotate/", views.endpoint_rotate, name="endpoint_rotate"),
    path(P + "webhooks/<int:pk>/switch/", views.endpoint_toggle, name="endpoint_toggle"),
    path(P + "webhooks/<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path(P + "webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/", views.delivery_redeliver,
         name="delivery_redeliver"),
]
