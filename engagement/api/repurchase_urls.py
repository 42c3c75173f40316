"""API of the repurchase area."""

from django.urls import path

from engagement.api import repurchase as views

C = "communities/<slug:slug>/"

urlpatterns = [
    path(C + "repurchase-prompts/", views.MyRepurchasePromptListView.as_view(), name="api-repurchase-prompts"),
    path(C + "admin/repurchase-prompts/", views.AdminRepurchasePromptListView.as_view(),
         name="api-admin-repurchase-prompts"),
    path(C + "admin/repurchase-prompts/summary/", views.AdminRepurchaseSummaryView.as_view(),
         name="api-admin-repurchase-summary"),
]
