"""API routes of the polls area."""

from django.urls import path

from engagement.api import polls as views

C = "communities/<slug:slug>/"

urlpatterns = [
    path(C + "polls/", views.PollListView.as_view(), name="api-polls"),
    path(C + "polls/<int:pk>/", views.PollDetailView.as_view(), name="api-poll"),
    path(C + "polls/<int:pk>/vote/", views.PollVoteView.as_view(), name="api-poll-vote"),
    path(C + "polls/<int:pk>/withdraw/", views.PollWithdrawView.as_view(), name="api-poll-withdraw"),
    path(C + "admin/polls/", views.AdminPollListView.as_view(), name="api-admin-polls"),
    path(C + "admin/polls/<int:pk>/", views.AdminPollDetailView.as_view(), name="api-admin-poll"),
    path(C + "admin/polls/<int:pk>/open/", views.AdminPollOpenView.as_view(), name="api-admin-poll-open"),
    path(C + "admin/polls/<int:pk>/close/", views.AdminPollCloseView.as_view(), name="api-admin-poll-close"),
    path(C + "admin/polls/<int:pk>/results/", views.AdminPollResultsView.as_view(), name="api-admin-poll-results"),
]
