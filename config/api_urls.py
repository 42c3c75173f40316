from django.urls import include, path

from accounts.api.urls import me_urlpatterns
from core import api_inbox

urlpatterns = [
    path("auth/", include("accounts.api.urls")),
    path("me/", include(me_urlpatterns + [
        path("notification-preferences/", api_inbox.NotificationPreferencesView.as_view(),
             name="api-notification-preferences"),
        path("inbox/", api_inbox.InboxView.as_view(), name="api-inbox"),
        path("inbox/mark-read/", api_inbox.InboxMarkReadView.as_view(), name="api-inbox-mark-read"),
    ])),
    path("", include("communities.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("crowdfunding.api.urls")),
    path("", include("engagement.api.urls")),
    path("", include("partners.api.admin_urls")),
    path("", include("analytics.api.urls")),
    path("partner/", include("partners.api.urls")),
]
