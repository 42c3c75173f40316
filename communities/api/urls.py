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
    path("communities/<slug:slug>/cover/", views.CommunityCoverView.as_view(), name="api-community-cover"),
    path("communities/<slug:slug>/payment-qr/", views.CommunityPaymentQRView.as_view(),
         name="api-community-payment-qr"),
    path("communities/<slug:slug>/transfer-ownership/", views.TransferOwnershipView.as_view(),
         name="api-community-transfer-ownership"),
    path("communities/<slug:slug>/branches/", views.BranchListView.as_view(), name="api-branches"),
    path("communities/<slug:slug>/branches/<int:pk>/", views.BranchDetailView.as_view(), name="api-branch"),
    path("communities/<slug:slug>/audit/", views.AuditLogView.as_view(), name="api-audit"),
    path("communities/<slug:slug>/leave/", views.LeaveView.as_view(), name="api-community-leave"),
    path("join-requests/", views.MyJoinRequestListView.as_view(), name="api-my-join-requests"),
    path("join-requests/<int:pk>/withdraw/", views.JoinRequestWithdrawView.as_view(),
         name="api-join-request-withdraw"),
]
