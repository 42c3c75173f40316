from django.urls import include, path

from crowdfunding import views

app_name = "crowdfunding"

urlpatterns = [
    path("c/<slug:slug>/campaigns/", views.campaigns, name="campaigns"),
    path("c/<slug:slug>/campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("c/<slug:slug>/pledges/", views.my_pledges, name="my_pledges"),
    path("c/<slug:slug>/pledges/<int:pk>/", views.pledge, name="pledge"),
    path("c/<slug:slug>/pledges/<int:pk>/pay/", views.pledge_pay, name="pledge_pay"),
    path("c/<slug:slug>/pledges/<int:pk>/cancel/", views.pledge_cancel, name="pledge_cancel"),
    path("c/<slug:slug>/pledges/<int:pk>/qr.png", views.pledge_qr, name="pledge_qr"),
    path("", include("crowdfunding.collection_urls")),
]
