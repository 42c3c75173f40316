"""Member pages of the referrals area (engagement namespace)."""

from django.urls import path

from engagement import referral_views as views

urlpatterns = [
    path("c/<slug:slug>/invites/mine/", views.my_referrals, name="my_referrals"),
]
