from django.urls import path

from crowdfunding import collection_console as console

P = "<slug:slug>/collections/"

urlpatterns = [
    path(P, console.collections, name="collections"),
    path(P + "<int:pk>/", console.collection, name="collection"),
    path(P + "<int:pk>/close/", console.collection_close, name="collection_close"),
]
