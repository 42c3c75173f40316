from django.urls import path

from communities import console, console_sweeps

app_name = "console"

urlpatterns = [
    path("<slug:slug>/", console.dashboard, name="dashboard"),
    path("<slug:slug>/settings/", console.settings_page, name="settings"),
    path("<slug:slug>/members/", console.members, name="members"),
    path("<slug:slug>/members/<int:pk>/role/", console.member_role, name="member_role"),
    path("<slug:slug>/members/<int:pk>/branch/", console.member_branch, name="member_branch"),
    path("<slug:slug>/members/<int:pk>/ban/", console.member_ban, name="member_ban"),
    path("<slug:slug>/members/<int:pk>/unban/", console.member_unban, name="member_unban"),
    path("<slug:slug>/requests/", console.requests, name="requests"),
    path("<slug:slug>/requests/<int:pk>/<str:decision>/", console.request_decide, name="request_decide"),
    path("<slug:slug>/invites/", console.invites, name="invites"),
    path("<slug:slug>/invites/<int:pk>/revoke/", console.invite_revoke, name="invite_revoke"),
    path("<slug:slug>/invites/<int:pk>/poster/", console.invite_poster, name="invite_poster"),
    path("<slug:slug>/branches/", console.branches, name="branches"),
    path("<slug:slug>/branches/<int:pk>/", console.branch_edit, name="branch_edit"),
    path("<slug:slug>/branches/<int:pk>/retire/", console.branch_retire, name="branch_retire"),
    path("<slug:slug>/branches/<int:pk>/restore/", console.branch_restore, name="branch_restore"),
    path("<slug:slug>/audit/", console.audit, name="audit"),
    path("<slug:slug>/failing-jobs/", console_sweeps.sweep_failures, name="sweep_failures"),
]
