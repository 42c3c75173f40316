from django.urls import path

from analytics import export_views

urlpatterns = [
    path("<slug:slug>/analytics/exports/", export_views.export_list, name="exports"),
    path("<slug:slug>/analytics/exports/<int:pk>/download/", export_views.export_download, name="export_download"),
]
