"""Fulfilment reports of a round (partners/api/fulfilment.py)."""

from django.urls import path

from partners.api.fulfilment import RoundFulfilmentsView

urlpatterns = [
    path("communities/<int:community_id>/rounds/<int:round_id>/fulfilments/", RoundFulfilmentsView.as_view(),
         name="api-partner-round-fulfilments"),
]
