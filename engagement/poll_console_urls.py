"""Console pages of the polls area (engagement_console namespace)."""

from django.urls import path

from engagement import poll_console as console

P = "<slug:slug>/polls/"

urlpatterns = [
    path(P, console.polls, name="polls"),
    path(P + "new/", console.poll_new, name="poll_new"),
    path(P + "<int:pk>/", console.poll, name="poll"),
    path(P + "<int:pk>/edit/", console.poll_edit, name="poll_edit"),
    path(P + "<int:pk>/open/", console.poll_open, name="poll_open"),
    path(P + "<int:pk>/close/", console.poll_close, name="poll_close"),
    path(P + "<int:pk>/delete/", console.poll_delete, name="poll_delete"),
]
