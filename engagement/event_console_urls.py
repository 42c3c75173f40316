"""Console pages of the events area (engagement_console namespace)."""

from django.urls import path

from engagement import event_console as console

urlpatterns = [
    path("<slug:slug>/events/", console.events, name="events"),
    path("<slug:slug>/events/new/", console.event_new, name="event_new"),
    path("<slug:slug>/events/<int:pk>/", console.event, name="event"),
    path("<slug:slug>/events/<int:pk>/edit/", console.event_edit, name="event_edit"),
    path("<slug:slug>/events/<int:pk>/publish/", console.event_publish, name="event_publish"),
    path("<slug:slug>/events/<int:pk>/cancel/", console.event_cancel, name="event_cancel"),
    path("<slug:slug>/events/<int:pk>/attendees.csv", console.attendees_csv, name="attendees_csv"),
    path("<slug:slug>/events/<int:pk>/mark-received/", console.rsvps_mark_received, name="rsvps_mark_received"),
    path("<slug:slug>/rsvps/<int:pk>/decline-transfer/", console.rsvp_transfer_decline,
         name="rsvp_transfer_decline"),
    path("<slug:slug>/check-in/", console.check_in, name="check_in"),
]
