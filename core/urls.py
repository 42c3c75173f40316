from django.urls import path

from accounts import views as account_views
from core import views

urlpatterns = [
    path("", account_views.profile, name="profile"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_mark_all_read, name="inbox-read"),
]
