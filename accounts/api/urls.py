from django.urls import path

from accounts.api import views

urlpatterns = [
    path("token/", views.ObtainTokenView.as_view(), name="api-token"),
    path("tokens/", views.ApiTokenListView.as_view(), name="api-tokens"),
    path("tokens/<int:token_id>/", views.ApiTokenDetailView.as_view(), name="api-token-detail"),
]

# Under /api/v1/me/: the caller's own profile (the inbox and preferences are core's, see config.api_urls).
me_urlpatterns = [
    path("", views.MeView.as_view(), name="api-me"),
]
