from django.urls import path

from communities.api import views

urlpatterns = [
    path("communities/", views.MyCommunityListView.as_view(), name="api-communities"),
    path("communities/<slug:slug>/", views.CommunityDetailView.as_view(), name="api-community"),
    path("communities/<slug:slug>/members/", views.MemberListView.as_view(), name="api-members"),
    path("communities/<slug:slug>/members/<int:pk>/", views.MemberDetailView.as_view(), name="api-member"),
    path("communities/<slug:slug>/members/<int:pk>/ban/", views.MemberBanView.as_view(), name="api-member-ban"),
    path("communities/<slug:slug>/members/<int:pk>/unban/", views.MemberUnbanView.as_view(), name="api-member-unban"),
    path("communities/<slug:slug>/invites/", views.InviteListView.as_view(), name="api-invites"),
    path("communities/<slug:slug>/invites/<int:pk>/revoke/", views.InviteRevokeView.as_view(),
         name="api-invite-revoke"),
    path("communities/<slug:slug>/join-requests/", views.JoinRequestListView.as_view(), name="api-join-requests"),
    path("communities/<slug:slug>/join-requests/<int:pk>/approve/", views.JoinRequestApproveView.as_view(),
         name="api-join-request-approve"),
    path("communities/<slug:slug>/join-requests/<int:pk>/decline/", views.JoinRequestDeclineView.as_view(),
         name="api-join-request-decline"),
    path("join/", views.JoinByCodeView.as_view(), name="api-join"),
]
