from django.urls import path

from crowdfunding import collection_views as views

P = "c/<slug:slug>/collections/"

urlpatterns = [
    path(P, views.collections, name="collections"),
    path(P + "new/", views.collection_new, name="collection_new"),
    path(P + "<int:pk>/", views.collection, name="collection"),
    path(P + "<int:pk>/shares/<int:share_pk>/pay/", views.collection_pay, name="collection_pay"),
    path(P + "<int:pk>/shares/<int:share_pk>/confirm/", views.collection_confirm, name="collection_confirm"),
    path(P + "<int:pk>/shares/<int:share_pk>/decline/", views.collection_decline, name="collection_decline"),
    path(P + "<int:pk>/remind/", views.collection_remind, name="collection_remind"),
    path(P + "<int:pk>/close/", views.collection_close, name="collection_close"),
]
