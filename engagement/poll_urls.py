"""Member pages of the polls area (engagement namespace)."""

from django.urls import path

from engagement import poll_views as views

P = "c/<slug:slug>/polls/"

urlpatterns = [
    path(P, views.polls, name="polls"),
    path(P + "<int:pk>/", views.poll, name="poll"),
    path(P + "<int:pk>/vote/", views.poll_vote, name="poll_vote"),
    path(P + "<int:pk>/withdraw/", views.poll_withdraw, name="poll_withdraw"),
]
