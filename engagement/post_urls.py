"""Member pages of the posts area (engagement namespace)."""

from django.urls import path

from engagement import post_views as views

urlpatterns: list = [
    path("c/<slug:slug>/posts/", views.posts, name="posts"),
    path("c/<slug:slug>/posts/<int:pk>/", views.post, name="post"),
    path("c/<slug:slug>/posts/<int:pk>/like/", views.post_like, name="post_like"),
    path("c/<slug:slug>/posts/<int:pk>/comments/", views.comment_add, name="post_comment"),
    path("c/<slug:slug>/comments/<int:pk>/delete/", views.comment_delete, name="comment_delete"),
    path("c/<slug:slug>/comments/<int:pk>/report/", views.comment_report, name="comment_report"),
]
