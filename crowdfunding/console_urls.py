from django.urls import include, path

from crowdfunding import console

app_name = "crowdfunding_console"

urlpatterns = [
    path("<slug:slug>/campaigns/", console.campaigns, name="campaigns"),
    path("<slug:slug>/campaigns/<int:pk>/", console.campaign, name="campaign"),
    path("", include("crowdfunding.collection_console_urls")),
]
