from django.urls import path

from communities import views

app_name = "communities"

urlpatterns = [
    path("communities/", views.mine, name="mine"),
    path("communities/new/", views.create, name="create"),
    path("i/<str:code>/", views.invite, name="invite"),
    path("i/<str:code>/qr.png", views.invite_qr, name="invite_qr"),
    path("c/<slug:slug>/", views.home, name="home"),
    path("c/<slug:slug>/join/", views.join, name="join"),
    path("c/<slug:slug>/poster.png", views.poster, name="poster"),
    path("c/<slug:slug>/branch/", views.choose_branch, name="choose_branch"),
    path("c/<slug:slug>/leave/", views.leave, name="leave"),
    path("requests/<int:pk>/withdraw/", views.withdraw_request, name="withdraw_request"),
]
