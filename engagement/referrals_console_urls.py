"""Console pages of the referrals area (engagement_console namespace)."""

from django.urls import path

from engagement import referral_console as console

P = "<slug:slug>/referrals/"

urlpatterns = [
    path(P, console.referrals, name="referrals"),
    path(P + "<int:pk>/approve/", console.referral_approve, name="referral_approve"),
    path(P + "<int:pk>/reject/", console.referral_reject, name="referral_reject"),
]
