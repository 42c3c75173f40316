"""Member pages of the points area (engagement namespace)."""

from django.urls import path

from engagement import point_views as views

P = "c/<slug:slug>/points/"

urlpatterns = [
    path(P, views.points_page, name="points"),
    path(P + "check-in/", views.points_check_in, name="points_check_in"),
    path(P + "leaderboard/", views.leaderboard, name="leaderboard"),
]
