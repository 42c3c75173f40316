"""API routes of the posts area."""

from django.urls import path

from engagement.api import posts as views

C = "communities/<slug:slug>/"

urlpatterns: list = [
    path(C + "posts/", views.PostListView.as_view(), name="api-posts"),
    path(C + "posts/<int:pk>/", views.PostDetailView.as_view(), name="api-post"),
    path(C + "posts/<int:pk>/comments/", views.PostCommentListView.as_view(), name="api-post-comments"),
    path(C + "posts/<int:pk>/like/", views.PostLikeView.as_view(), name="api-post-like"),
    path(C + "comments/<int:pk>/", views.CommentDetailView.as_view(), name="api-comment"),
    path(C + "comments/<int:pk>/report/", views.CommentReportView.as_view(), name="api-comment-report"),
    path(C + "admin/posts/", views.AdminPostListView.as_view(), name="api-admin-posts"),
    path(C + "admin/posts/<int:pk>/", views.AdminPostDetailView.as_view(), name="api-admin-post"),
    path(C + "admin/posts/<int:pk>/publish/", views.AdminPostPublishView.as_view(), name="api-admin-post-publish"),
    path(C + "admin/posts/<int:pk>/hide/", views.AdminPostHideView.as_view(), name="api-admin-post-hide"),
    path(C + "admin/posts/<int:pk>/unhide/", views.AdminPostUnhideView.as_view(), name="api-admin-post-unhide"),
    path(C + "admin/posts/<int:pk>/pin/", views.AdminPostPinView.as_view(), name="api-admin-post-pin"),
    path(C + "admin/posts/<int:pk>/features/", views.AdminPostFeaturesView.as_view(),
         name="api-admin-post-features"),
    path(C + "admin/posts/<int:pk>/images/", views.AdminPostImageListView.as_view(), name="api-admin-post-images"),
    path(C + "admin/posts/<int:pk>/images/<int:image_pk>/", views.AdminPostImageDetailView.as_view(),
         name="api-admin-post-image"),
    path(C + "admin/posts/<int:pk>/cover/", views.AdminPostCoverView.as_view(), name="api-admin-post-cover"),
    path(C + "admin/posts/<int:pk>/comments/", views.AdminPostCommentListView.as_view(),
         name="api-admin-post-comments"),
    path(C + "admin/comments/<int:pk>/", views.AdminCommentDetailView.as_view(), name="api-admin-comment"),
    path(C + "admin/comments/<int:pk>/moderate/", views.AdminCommentModerateView.as_view(),
         name="api-admin-comment-moderate"),
    path(C + "admin/reports/", views.AdminReportListView.as_view(), name="api-admin-reports"),
    path(C + "admin/reports/<int:pk>/resolve/", views.AdminReportResolveView.as_view(),
         name="api-admin-report-resolve"),
    path(C + "admin/engagement-settings/", views.AdminEngagementSettingsView.as_view(),
         name="api-admin-engagement-settings"),
]
