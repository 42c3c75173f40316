"""Member pages of the repurchase area (engagement namespace)."""

from django.urls import path

from engagement import repurchase_views as views

P = "c/<slug:slug>/again/<int:prompt_id>/"

urlpatterns = [
    path(P, views.prompt_open, name="repurchase_open"),
    path(P + "stop/", views.prompt_stop, name="repurchase_stop"),
]
