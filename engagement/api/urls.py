from django.urls import include, path

urlpatterns = [
    path("", include("engagement.api.event_urls")),
    path("", include("engagement.api.post_urls")),
    path("", include("engagement.api.poll_urls")),
    path("", include("engagement.api.point_urls")),
    path("", include("engagement.api.points_shop_urls")),
    path("", include("engagement.api.loyalty_urls")),
    path("", include("engagement.api.repurchase_urls")),
    path("", include("engagement.api.referrals_urls")),
]
