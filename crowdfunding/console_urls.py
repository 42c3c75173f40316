from django.urls import include, path

app_name = "crowdfunding_console"

urlpatterns = [
    path("", include("crowdfunding.collection_console_urls")),
]
