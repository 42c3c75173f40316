from django.urls import include, path

from crowdfunding import console

app_name = "crowdfunding_console"

urlpatterns = [
    path("<slug:slug>/campaigns/", console.campaigns, name="campaigns"),
    path("<slug:slug>/campaigns/new/", console.campaign_new, name="campaign_new"),
    path("<slug:slug>/campaigns/<int:pk>/", console.campaign, name="campaign"),
    path("<slug:slug>/campaigns/<int:pk>/edit/", console.campaign_edit, name="campaign_edit"),
    path("<slug:slug>/campaigns/<int:pk>/launch/", console.campaign_launch, name="campaign_launch"),
    path("<slug:slug>/campaigns/<int:pk>/cancel/", console.campaign_cancel, name="campaign_cancel"),
    path("<slug:slug>/campaigns/<int:pk>/updates/", console.campaign_update_post, name="campaign_update_post"),
    path("<slug:slug>/campaigns/<int:pk>/mark-received/", console.pledges_mark_received,
         name="pledges_mark_received"),
    path("<slug:slug>/campaigns/<int:pk>/rewards.csv", console.campaign_rewards, name="campaign_rewards"),
    path("<slug:slug>/campaigns/<int:pk>/rewards/<int:point_pk>/", console.reward_sheet, name="reward_sheet"),
    path("<slug:slug>/campaigns/<int:pk>/hand-out/", console.reward_hand_out, name="reward_hand_out"),
    path("<slug:slug>/pledges/<int:pk>/decline-transfer/", console.pledge_transfer_decline,
         name="pledge_transfer_decline"),
    path("<slug:slug>/pledges/<int:pk>/ship/", console.pledge_ship, name="pledge_ship"),
    path("", include("crowdfunding.collection_console_urls")),
]
