from django.urls import path

from crowdfunding.api import collection_views as views

C = "communities/<slug:slug>/"

urlpatterns = [
    path(C + "collections/", views.CollectionListView.as_view(), name="api-collections"),
    path(C + "collections/<int:pk>/", views.CollectionDetailView.as_view(), name="api-collection"),
    path(C + "collections/<int:pk>/shares/<int:share_pk>/pay/", views.SharePayView.as_view(),
         name="api-collection-share-pay"),
    path(C + "collections/<int:pk>/shares/<int:share_pk>/confirm/", views.ShareConfirmView.as_view(),
         name="api-collection-share-confirm"),
    path(C + "collections/<int:pk>/shares/<int:share_pk>/decline/", views.ShareDeclineView.as_view(),
         name="api-collection-share-decline"),
    path(C + "collections/<int:pk>/close/", views.CollectionCloseView.as_view(), name="api-collection-close"),
    path(C + "collections/<int:pk>/remind/", views.CollectionRemindView.as_view(), name="api-collection-remind"),
    path(C + "admin/collections/", views.AdminCollectionListView.as_view(), name="api-admin-collections"),
    path(C + "admin/collections/<int:pk>/", views.AdminCollectionDetailView.as_view(), name="api-admin-collection"),
    path(C + "admin/collections/<int:pk>/close/", views.AdminCollectionCloseView.as_view(),
         name="api-admin-collection-close"),
]
