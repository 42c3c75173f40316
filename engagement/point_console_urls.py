"""Console pages of the points area: levels (engagement_console namespace)."""

from django.urls import path

from engagement import point_console as console

urlpatterns = [
    path("<slug:slug>/levels/", console.levels, name="levels"),
]
