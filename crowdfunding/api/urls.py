from django.urls import include, path

urlpatterns = [
    path("", include("crowdfunding.api.collection_urls")),
]
