from django.urls import include, path

app_name = "engagement_console"

urlpatterns = [
    path("", include("engagement.event_console_urls")),
    path("", include("engagement.post_console_urls")),
    path("", include("engagement.poll_console_urls")),
    path("", include("engagement.point_console_urls")),
    path("", include("engagement.points_shop_console_urls")),
    path("", include("engagement.loyalty_console_urls")),
    path("", include("engagement.repurchase_console_urls")),
    path("", include("engagement.referrals_console_urls")),
]
