from django.urls import path

from analytics.api import exports as views

A = "communities/<slug:slug>/analytics/exports/"

urlpatterns = [
    path(A, views.ExportListView.as_view(), name="api-analytics-exports"),
    path(A + "<int:pk>/", views.ExportDetailView.as_view(), name="api-analytics-export"),
    path(A + "<int:pk>/download/", views.ExportDownloadView.as_view(), name="api-analytics-export-download"),
]
