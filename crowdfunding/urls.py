from django.urls import include, path

app_name = "crowdfunding"

urlpatterns = [
    path("", include("crowdfunding.collection_urls")),
]
