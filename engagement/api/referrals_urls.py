"""API of the referrals area."""

from django.urls import path

from engagement.api import referrals as views

C = "communities/<slug:slug>/"

urlpatterns = [
    path(C + "referrals/mine/", views.MyReferralsView.as_view(), name="api-my-referrals"),
    path(C + "admin/referrals/", views.AdminReferralListView.as_view(), name="api-admin-referrals"),
    path(C + "admin/referrals/stats/", views.AdminReferralStatsView.as_view(), name="api-admin-referral-stats"),
    path(C + "admin/referrals/<int:pk>/approve/", views.AdminReferralApproveView.as_view(),
         name="api-admin-referral-approve"),
    path(C + "admin/referrals/<int:pk>/reject/", views.AdminReferralRejectView.as_view(),
         name="api-admin-referral-reject"),
]
