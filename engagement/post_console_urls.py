"""Console pages of the posts area (engagement_console namespace)."""

from django.urls import path

from engagement import post_console as console

urlpatterns: list = [
    path("<slug:slug>/posts/", console.posts, name="posts"),
    path("<slug:slug>/posts/new/", console.post_new, name="post_new"),
    path("<slug:slug>/posts/<int:pk>/", console.post_edit, name="post_edit"),
    path("<slug:slug>/posts/<int:pk>/action/", console.post_action, name="post_action"),
    path("<slug:slug>/posts/<int:pk>/features/", console.post_features, name="post_features"),
    path("<slug:slug>/posts/<int:pk>/photos/", console.post_images, name="post_images"),
    path("<slug:slug>/comments/<int:pk>/moderate/", console.comment_moderate, name="comment_moderate"),
    path("<slug:slug>/reports/", console.reports, name="reports"),
    path("<slug:slug>/reports/<int:pk>/resolve/", console.report_resolve, name="report_resolve"),
    path("<slug:slug>/engagement-settings/", console.settings_page, name="engagement_settings"),
]
