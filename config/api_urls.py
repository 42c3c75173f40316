from django.urls import include, path

urlpatterns = [
    path("auth/", include("accounts.api.urls")),
    path("", include("communities.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("orders.api.urls")),
]
