from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts import views as account_views
from core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("accounts.urls")),
    path("me/", account_views.profile, name="profile"),
    path("me/", include("core.urls")),
    path("", include("communities.urls")),
    path("console/", include("communities.console_urls")),
    path("console/", include("catalog.console_urls")),
    path("console/", include("orders.console_urls")),
    path("console/", include("crowdfunding.console_urls")),
    path("console/", include("engagement.console_urls")),
    path("console/", include("partners.console_urls")),
    path("console/", include("analytics.console_urls")),
    path("", include("orders.urls")),
    path("", include("crowdfunding.urls")),
    path("", include("engagement.urls")),
    path("partner/", include("partners.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^%s(?P<path>.*)$" % settings.MEDIA_URL.lstrip("/"), serve, {"document_root": settings.MEDIA_ROOT}),
    ]
