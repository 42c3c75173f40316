from django.urls import include, path

app_name = "engagement"

urlpatterns = [
    path("", include("engagement.event_urls")),
    path("", include("engagement.post_urls")),
    path("", include("engagement.poll_urls")),
    path("", include("engagement.point_urls")),
    path("", include("engagement.points_shop_urls")),
    path("", include("engagement.loyalty_urls")),
    path("", include("engagement.repurchase_urls")),
    path("", include("engagement.referrals_urls")),
]
