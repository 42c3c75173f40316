from django.urls import include, path

from crowdfunding.api import views

C = "communities/<slug:slug>/"

urlpatterns = [
    path(C + "campaigns/", views.CampaignListView.as_view(), name="api-campaigns"),
    path(C + "campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="api-campaign"),
    path(C + "campaigns/<int:pk>/pledges/", views.CampaignPledgeView.as_view(), name="api-campaign-pledges"),
    path(C + "campaigns/<int:pk>/updates/", views.CampaignUpdateListView.as_view(), name="api-campaign-updates"),
    path(C + "pledges/", views.PledgeListView.as_view(), name="api-pledges"),
    path(C + "pledges/<int:pk>/", views.PledgeDetailView.as_view(), name="api-pledge"),
    path(C + "pledges/<int:pk>/pay/", views.PledgePayView.as_view(), name="api-pledge-pay"),
    path(C + "pledges/<int:pk>/cancel/", views.PledgeCancelView.as_view(), name="api-pledge-cancel"),
]

urlpatterns += [
    path(C + "admin/campaigns/", views.AdminCampaignListView.as_view(), name="api-admin-campaigns"),
    path(C + "admin/campaigns/<int:pk>/", views.AdminCampaignDetailView.as_view(), name="api-admin-campaign"),
    path(C + "admin/campaigns/<int:pk>/launch/", views.AdminCampaignLaunchView.as_view(),
         name="api-admin-campaign-launch"),
    path(C + "admin/campaigns/<int:pk>/cancel/", views.AdminCampaignCancelView.as_view(),
         name="api-admin-campaign-cancel"),
    path(C + "admin/campaigns/<int:pk>/updates/", views.AdminCampaignUpdatePostView.as_view(),
         name="api-admin-campaign-updates"),
    path(C + "admin/campaigns/<int:pk>/pledges/", views.AdminCampaignPledgeListView.as_view(),
         name="api-admin-campaign-pledges"),
    path(C + "admin/campaigns/<int:pk>/rewards/", views.AdminCampaignRewardListView.as_view(),
         name="api-admin-campaign-rewards"),
    path(C + "admin/campaigns/<int:pk>/rewards/hand-out/", views.AdminCampaignHandOutView.as_view(),
         name="api-admin-campaign-hand-out"),
    path(C + "admin/pledges/mark-paid/", views.AdminPledgesMarkPaidView.as_view(), name="api-admin-pledges-mark-paid"),
    path(C + "admin/pledges/<int:pk>/decline-transfer/", views.AdminPledgeDeclineTransferView.as_view(),
         name="api-admin-pledge-decline-transfer"),
    path(C + "admin/pledges/<int:pk>/ship/", views.AdminPledgeShipView.as_view(), name="api-admin-pledge-ship"),
]

urlpatterns += [
    path("", include("crowdfunding.api.collection_urls")),
]
