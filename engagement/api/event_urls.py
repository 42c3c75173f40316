"""API routes of the events area (names are fixed: the console's parity map points at them)."""

from django.urls import path

from engagement.api import events as views

C = "communities/<slug:slug>/"

urlpatterns = [
    path(C + "events/", views.EventListView.as_view(), name="api-events"),
    path(C + "events/<int:pk>/", views.EventDetailView.as_view(), name="api-event"),
    path(C + "events/<int:pk>/rsvp/", views.EventRSVPView.as_view(), name="api-event-rsvp"),
    path(C + "rsvps/", views.RSVPListView.as_view(), name="api-rsvps"),
    path(C + "rsvps/<int:pk>/", views.RSVPDetailView.as_view(), name="api-rsvp"),
    path(C + "rsvps/<int:pk>/pay/", views.RSVPPayView.as_view(), name="api-rsvp-pay"),
    path(C + "rsvps/<int:pk>/cancel/", views.RSVPCancelView.as_view(), name="api-rsvp-cancel"),
    path(C + "rsvps/<int:pk>/accept/", views.RSVPAcceptView.as_view(), name="api-rsvp-accept"),
    path(C + "rsvps/<int:pk>/decline/", views.RSVPDeclineView.as_view(), name="api-rsvp-decline"),
    path(C + "rsvps/<int:pk>/ticket.png", views.RSVPTicketView.as_view(), name="api-rsvp-ticket"),
]

urlpatterns += [
    path(C + "admin/events/", views.AdminEventListView.as_view(), name="api-admin-events"),
    path(C + "admin/events/<int:pk>/", views.AdminEventDetailView.as_view(), name="api-admin-event"),
    path(C + "admin/events/<int:pk>/cover/", views.AdminEventCoverView.as_view(), name="api-admin-event-cover"),
    path(C + "admin/events/<int:pk>/publish/", views.AdminEventPublishView.as_view(),
         name="api-admin-event-publish"),
    path(C + "admin/events/<int:pk>/cancel/", views.AdminEventCancelView.as_view(), name="api-admin-event-cancel"),
    path(C + "admin/events/<int:pk>/attendees/", views.AdminEventAttendeesView.as_view(),
         name="api-admin-event-attendees"),
    path(C + "admin/events/<int:pk>/rsvps/", views.AdminEventRSVPsView.as_view(), name="api-admin-event-rsvps"),
    path(C + "admin/rsvps/mark-paid/", views.AdminRSVPsMarkPaidView.as_view(), name="api-admin-rsvps-mark-paid"),
    path(C + "admin/rsvps/<int:pk>/decline-transfer/", views.AdminRSVPDeclineTransferView.as_view(),
         name="api-admin-rsvp-decline-transfer"),
    path(C + "admin/check-in/", views.AdminCheckInView.as_view(), name="api-admin-check-in"),
]
