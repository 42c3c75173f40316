from django.urls import include, path

app_name = "engagement_console"

urlpatterns = [
    path("", include("engagement.event_console_urls")),
    path("", include("engagement.post_console_urls")),
    path("", include("engagement.poll_console_urls")),
]
