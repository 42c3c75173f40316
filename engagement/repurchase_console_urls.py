"""Console pages of the repurchase area (engagement_console namespace)."""

from django.urls import path

from engagement import repurchase_console as console

urlpatterns = [
    path("<slug:slug>/repurchase/", console.repurchase, name="repurchase"),
]
