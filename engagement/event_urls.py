"""Member pages of the events area (engagement namespace)."""

from django.urls import path

from engagement import event_views as views

urlpatterns = [
    path("c/<slug:slug>/events/", views.events, name="events"),
    path("c/<slug:slug>/events/<int:pk>/", views.event, name="event"),
    path("c/<slug:slug>/my-events/", views.my_events, name="my_events"),
    path("c/<slug:slug>/rsvps/<int:pk>/", views.rsvp, name="rsvp"),
    path("c/<slug:slug>/rsvps/<int:pk>/qr.png", views.rsvp_qr, name="rsvp_qr"),
    path("c/<slug:slug>/rsvps/<int:pk>/pay/", views.rsvp_pay, name="rsvp_pay"),
    path("c/<slug:slug>/rsvps/<int:pk>/accept/", views.rsvp_accept, name="rsvp_accept"),
    path("c/<slug:slug>/rsvps/<int:pk>/decline/", views.rsvp_decline, name="rsvp_decline"),
    path("c/<slug:slug>/rsvps/<int:pk>/cancel/", views.rsvp_cancel, name="rsvp_cancel"),
]
