"""API routes of the points area."""

from django.urls import path

from engagement.api import points as views

C = "communities/<slug:slug>/"

urlpatterns = [
    path(C + "points/", views.PointsView.as_view(), name="api-points"),
    path(C + "points/entries/", views.PointsEntryListView.as_view(), name="api-points-entries"),
    path(C + "check-in/", views.PointsCheckInView.as_view(), name="api-points-check-in"),
    path(C + "leaderboard/", views.LeaderboardView.as_view(), name="api-leaderboard"),
    path(C + "admin/levels/", views.AdminLevelsView.as_view(), name="api-admin-levels"),
]
