"""REST API for events: what members see and answer, and the console's event actions.

Each view: input serializer → rows from the caller's scope → service (engagement.events) → output
serializer. The community and the caller's membership come from the URL's slug
(communities.api.views.CommunityAPIView); the services check permissions again.

Scope: a member sees published (and cancelled) events aimed at everyone or at their branch, and
only their own RSVPs. In the console a leader sees the community's events, their branch's and
their own (event_selectors.events_in_console) and changes only their own (events.events_in_scope);
anything else answers 404, as another community's rows do.

An RSVP is one row per member and event, so answering twice is harmless; creating an event and
answering also take an Idempotency-Key (core.idempotency) so that a retry replays the first answer.
"""

from __future__ import annotations

import django_filters
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from communities.api.views import CommunityAPIView
from communities.models import Community
from communities.permissions import Perm
from core.api import error_responses as errors
from core.exceptions import Conflict, NotFound, ValidationFailed
from core.filters import FILTER_BACKENDS, BooleanFilter, IdFilter, OrderingFilter, SyncFilterSet
from core.idempotency import KEY_PARAMETER, idempotent
from engagement import events as services
from engagement import event_selectors as selectors
from engagement.api import event_serializers as s
from engagement.models import RSVP, Event
from orders.api.views import JSONAPIView, _all_or_404, _valid
from orders.models import PickupPoint
from payments.models import Payment

TAG_EVENTS = "events"
TAG_CONSOLE = "events console"
# The page parameters of the console's answers that carry more than the page (counts, history).
PAGE_PARAMETERS = [
    OpenApiParameter("page", {"type": "integer", "minimum": 1}, OpenApiParameter.QUERY,
                     description=_lazy("A page number (or \"last\")")),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                     OpenApiParameter.QUERY, description=_lazy("Rows per page")),
]


# Filters ---------------------------------------------------------------------------------------

class _UpcomingFilter(BooleanFilter):
    """true: events not over yet; false: events that ended."""

    def filter(self, qs, value):
        if value is None:
            return qs
        now = timezone.now()
        return qs.filter(ends_at__gt=now) if value else qs.filter(ends_at__lte=now)


class EventFilter(SyncFilterSet):
    upcoming = _UpcomingFilter(label=_lazy("true: events not over yet; false: events that ended"))
    kind = django_filters.ChoiceFilter(choices=Event.Kind.choices)

    class Meta:
        model = Event
        fields = []


class AdminEventFilter(EventFilter):
    status = django_filters.ChoiceFilter(choices=Event.Status.choices)


class RSVPFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=RSVP.Status.choices)
    event = IdFilter(field_name="event_id", label=_lazy("An event id"))
    ordering = OrderingFilter(fields=(("created_at", "created_at"), ("updated_at", "updated_at")),
                              label=_lazy("created_at or updated_at; a leading - reverses (default: newest first)"))

    class Meta:
        model = RSVP
        fields = []


class AdminRSVPFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=RSVP.Status.choices)
    transfer_reported = BooleanFilter(field_name="transfer_reported", label=_lazy(
        "true: a transfer was reported and waits for confirmation; false: none waits"))

    class Meta:
        model = RSVP
        fields = []


# Helpers ---------------------------------------------------------------------------------------

def _event_not_found() -> NotFound:
    return NotFound(_("This event does not exist."), code="event_not_found")


def _rsvp_not_found() -> NotFound:
    return NotFound(_("This RSVP does not exist."), code="rsvp_not_found")


def _queue_position():
    """The 1-based place of a waitlisted RSVP in its event's queue (null for others), in SQL."""
    ahead = (RSVP.objects.filter(event_id=OuterRef("event_id"), status=RSVP.Status.WAITLISTED)
             .filter(Q(waitlisted_at__lt=OuterRef("waitlisted_at"))
                     | Q(waitlisted_at=OuterRef("waitlisted_at"), pk__lt=OuterRef("pk")))
             .order_by().values("event_id").annotate(n=Count("pk")).values("n"))
    return Case(When(status=RSVP.Status.WAITLISTED, then=Coalesce(Subquery(ahead), Value(0)) + 1),
                default=None, output_field=IntegerField())


def _transfer_waiting() -> Exists:
    return Exists(Payment.objects.filter(charge_id=OuterRef("charge_id"), status=Payment.Status.PENDING))


def _with_state(rsvps):
    return rsvps.annotate(queue_position=_queue_position(), transfer_reported=_transfer_waiting())


def _member_events(view: CommunityAPIView):
    mine = RSVP.objects.filter(event_id=OuterRef("pk"), member_id=view.membership.user_id).values("status")[:1]
    return selectors.events_for_member(view.membership).annotate(my_rsvp_status=Subquery(mine))


def _member_event(view: CommunityAPIView, pk: int) -> Event:
    event = _member_events(view).filter(pk=pk).first()
    if event is None:
        raise _event_not_found()
    return event


def _my_rsvps(view: CommunityAPIView):
    return _with_state(RSVP.objects.filter(community_id=view.community.pk, member_id=view.membership.user_id)
                       .select_related("event", "charge", "community"))


def _my_rsvp(view: CommunityAPIView, pk: int) -> RSVP:
    rsvp = _my_rsvps(view).filter(pk=pk).first()
    if rsvp is None:
        raise _rsvp_not_found()
    return rsvp


def _rsvp_answer(view: CommunityAPIView, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    data = s.RSVPSerializer(_my_rsvp(view, pk), context={"request": view.request, "slug": view.community.slug}).data
    return Response(data, status=status_code)


def _console_events(view: CommunityAPIView):
    return selectors.events_in_console(view.membership).select_related("created_by")


def _event_in_view(view: CommunityAPIView, pk: int) -> Event:
    """An event the caller sees in the console (a leader: the community's, their branch's, their own)."""
    event = _console_events(view).filter(pk=pk).first()
    if event is None:
        raise _event_not_found()
    return event


def _event_in_scope(view: CommunityAPIView, pk: int) -> Event:
    """An event the caller may change (a leader: their own); others in view answer 404 too."""
    event = services.events_in_scope(view.membership, _console_events(view)).filter(pk=pk).first()
    if event is None:
        raise _event_not_found()
    return event


def _admin_event_answer(view: CommunityAPIView, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    event = Event.objects.select_related("pickup_point", "created_by", "community").get(pk=pk)
    return Response(s.AdminEventSerializer(event, context={"request": view.request}).data, status=status_code)


def _console_rsvps(view: CommunityAPIView):
    """RSVPs of the events the caller sees in the console."""
    return _with_state(RSVP.objects.filter(community_id=view.community.pk, event__in=_console_events(view))
                       .select_related("member", "checked_in_by", "charge", "event__community", "community"))


def _branch(view: CommunityAPIView, branch_id: int | None) -> Community | None:
    if branch_id is None:
        return None
    branch = view.community.active_branches().filter(pk=branch_id).first()
    if branch is None:
        message = _("Choose a branch of this community.")
        raise ValidationFailed(message, fields={"branch": [message]})
    return branch


def _pickup_point(view: CommunityAPIView, point_id: int | None) -> PickupPoint | None:
    if point_id is None:
        return None
    point = PickupPoint.objects.filter(community_id=view.community.pk, pk=point_id).first()
    if point is None:
        message = _("Choose one of this community's pickup points.")
        raise ValidationFailed(message, fields={"pickup_point": [message]})
    return point


def _page(view: CommunityAPIView, queryset) -> tuple[list, dict]:
    page = view.paginate_queryset(queryset)
    paginator = view.paginator
    return page, {"count": paginator.page.paginator.count, "next": paginator.get_next_link(),
                  "previous": paginator.get_previous_link()}


# Events for members ----------------------------------------------------------------------------

class EventListView(JSONAPIView):
    """Events I may come to: published (and cancelled) ones for everyone or my branch, soonest first."""

    permission = Perm.VIEW
    filter_backends = FILTER_BACKENDS
    filterset_class = EventFilter
    queryset = Event.objects.none()  # the model, for the schema; rows come from the selector

    @extend_schema(responses={200: s.EventSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG_EVENTS],
                   summary=_lazy("Events"),
                   description=_lazy("upcoming=true for events not over yet. Each says the seats left and my "
                                     "answer (my_rsvp_status)."))
    def get(self, request, slug):
        page = self.paginate_queryset(self.filter_queryset(_member_events(self)))
        return self.get_paginated_response(s.EventSerializer(page, many=True, context={"request": request}).data)


class EventDetailView(JSONAPIView):
    """An event's page with my RSVP: status, guests, place in the queue, offer expiry, ticket code."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.EventDetailSerializer, **errors(403, 404)}, tags=[TAG_EVENTS],
                   summary=_lazy("An event"))
    def get(self, request, slug, pk):
        event = _member_event(self, pk)
        rsvp = selectors.rsvp_of(self.membership, event)
        if rsvp is not None:
            rsvp.waitlist_position = selectors.waitlist_position(rsvp)
        return Response(s.EventDetailSerializer(event, context={"request": request, "rsvp": rsvp}).data)


class EventRSVPView(JSONAPIView):
    """Answer "I'm going" (with guests): a seat, a held seat to pay for, or the waitlist."""

    permission = Perm.VIEW

    @extend_schema(request=s.RSVPCreateSerializer, parameters=[KEY_PARAMETER],
                   responses={201: OpenApiResponse(s.RSVPSerializer, description=_lazy("RSVP made")),
                              200: OpenApiResponse(s.RSVPSerializer, description=_lazy(
                                  "I had answered already: my RSVP as it stands")),
                              **errors(400, 403, 404, 409, 422)},
                   tags=[TAG_EVENTS], summary=_lazy("RSVP to an event"),
                   description=_lazy(
                       "going when seats are free (a paid event: pending_payment, the seat held until "
                       "expires_at: pay with …/rsvps/{id}/pay/); waitlisted when it is full or others wait. "
                       "Answering again while the RSVP stands returns it unchanged (200); after cancelling, "
                       "it comes back with a new ticket code. 409 rsvp_closed after the deadline, 409 "
                       "event_closed for a cancelled event; guests over the event's limit: 400."))
    def post(self, request, slug, pk):
        return idempotent(request, f"rsvp-create:{self.community.pk}:{pk}", lambda: self._answer(pk))

    def _answer(self, pk):
        data = _valid(s.RSVPCreateSerializer, self.request.data)
        event = _member_event(self, pk)
        before = selectors.rsvp_of(self.membership, event)
        rsvp = services.rsvp_create(membership=self.membership, event=event, guests=data["guests"])
        answered_before = before is not None and before.status in services.ACTIVE
        return _rsvp_answer(self, rsvp.pk, status_code=status.HTTP_200_OK if answered_before
                            else status.HTTP_201_CREATED)


# My RSVPs --------------------------------------------------------------------------------------

class RSVPListView(JSONAPIView):
    """My RSVPs, newest first."""

    permission = Perm.VIEW
    filter_backends = FILTER_BACKENDS
    filterset_class = RSVPFilter
    queryset = RSVP.objects.none()

    @extend_schema(responses={200: s.RSVPSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG_EVENTS],
                   summary=_lazy("My RSVPs"),
                   description=_lazy("To sync, keep the newest updated_at seen and ask for updated_since with "
                                     "ordering=updated_at."))
    def get(self, request, slug):
        rsvps = _my_rsvps(self).order_by("-created_at", "-pk")
        page = self.paginate_queryset(self.filter_queryset(rsvps))
        context = {"request": request, "slug": self.community.slug}
        return self.get_paginated_response(s.RSVPSerializer(page, many=True, context=context).data)


class RSVPDetailView(JSONAPIView):
    """One of my RSVPs, with its ticket code while going."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.RSVPSerializer, **errors(403, 404)}, tags=[TAG_EVENTS],
                   summary=_lazy("One of my RSVPs"))
    def get(self, request, slug, pk):
        return _rsvp_answer(self, pk)


class RSVPPayView(JSONAPIView):
    """Pay my held seat from my wallet, or say I paid by transfer (an admin then confirms it)."""

    permission = Perm.VIEW

    @extend_schema(request=s.RSVPPayInputSerializer, responses={200: s.RSVPSerializer, **errors(400, 403, 404, 409)},
                   tags=[TAG_EVENTS], summary=_lazy("Pay for my seat"),
                   description=_lazy('"wallet" pays at once (409 insufficient_balance when short); "transfer" '
                                     "records a transfer for an admin to confirm (the seat stays held). Paying "
                                     "again for a seat already paid answers it unchanged; 409 not_payable when "
                                     "it is not awaiting payment."))
    def post(self, request, slug, pk):
        data = _valid(s.RSVPPayInputSerializer, request.data)
        rsvp = _my_rsvp(self, pk)
        if data["method"] == "wallet":
            if rsvp.status == RSVP.Status.GOING and rsvp.charge_id is not None:
                return _rsvp_answer(self, pk)  # paid already: a double tap
            services.rsvp_pay_with_wallet(membership=self.membership, rsvp=rsvp)
        else:
            services.rsvp_report_transfer(membership=self.membership, rsvp=rsvp, reference=data["reference"])
        return _rsvp_answer(self, pk)


def _member_action(name: str, service, summary, description):
    """A POST on one of my RSVPs that calls ``service(membership=, rsvp=)`` and answers the RSVP."""

    @extend_schema(request=None, responses={200: s.RSVPSerializer, **errors(403, 404, 409)}, tags=[TAG_EVENTS],
                   summary=summary, description=description)
    def post(self, request, slug, pk):
        service(membership=self.membership, rsvp=_my_rsvp(self, pk))
        return _rsvp_answer(self, pk)

    return type(name, (JSONAPIView,), {"permission": Perm.VIEW, "post": post, "__doc__": str(summary)})


RSVPCancelView = _member_action(
    "RSVPCancelView", services.rsvp_cancel, _lazy("Cancel my RSVP"),
    _lazy("Until the start; leaves the waitlist too. A paid seat is refunded (to the wallet, or paid back by an "
          "admin for a transfer) and the seats go to the first waiting. Cancelling again changes nothing. 409 "
          "event_started, 409 checked_in."))
RSVPAcceptView = _member_action(
    "RSVPAcceptView", services.rsvp_accept_offer, _lazy("Take the seat offered"),
    _lazy("offered → going (a paid event: pending_payment, pay next). 409 offer_closed once the offer lapsed."))
RSVPDeclineView = _member_action(
    "RSVPDeclineView", services.rsvp_decline_offer, _lazy("Decline the seat offered"),
    _lazy("The seat passes to the next in line. 409 offer_closed when no offer is open."))


class RSVPTicketView(JSONAPIView):
    """My ticket's QR code (PNG), shown at the door; only while going."""

    permission = Perm.VIEW

    def perform_content_negotiation(self, request, force=False):
        # The PNG is answered as is; errors are JSON whatever the client accepts.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description=_lazy(
                       "The QR code of the ticket code")), **errors(403, 404, 409)},
                   tags=[TAG_EVENTS], summary=_lazy("My ticket's QR code"),
                   description=_lazy("409 no_ticket when the RSVP is not going (waiting, unpaid, cancelled)."))
    def get(self, request, slug, pk):
        rsvp = _my_rsvp(self, pk)
        if rsvp.status != RSVP.Status.GOING:
            raise Conflict(_("There is no ticket for this RSVP: it is not going."), code="no_ticket")
        response = HttpResponse(selectors.ticket_qr_png(rsvp), content_type="image/png")
        response["Cache-Control"] = "private, no-store"
        return response


# Events in the console -------------------------------------------------------------------------

class AdminEventListView(JSONAPIView):
    """GET: the console's events, drafts included (a leader: those in view). POST: create a draft."""

    permission = Perm.MANAGE_EVENTS
    filter_backends = FILTER_BACKENDS
    filterset_class = AdminEventFilter
    queryset = Event.objects.none()

    @extend_schema(responses={200: s.AdminEventSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Events in the console"),
                   description=_lazy("Latest start first; upcoming=false for past events."))
    def get(self, request, slug):
        page = self.paginate_queryset(self.filter_queryset(_console_events(self)))
        return self.get_paginated_response(s.AdminEventSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=s.EventWriteSerializer, parameters=[KEY_PARAMETER],
                   responses={201: OpenApiResponse(s.AdminEventSerializer, description=_lazy("Event created")),
                              **errors(400, 403, 404, 422)},
                   tags=[TAG_CONSOLE], summary=_lazy("Create an event"),
                   description=_lazy("A draft: publish it with …/publish/. Where it happens: a pickup point, an "
                                     "address or (online) a link. A leader's event is for their own branch. "
                                     "Errors name the field."))
    def post(self, request, slug):
        return idempotent(request, f"event-create:{self.community.pk}", self._create)

    def _create(self):
        data = _valid(s.EventWriteSerializer, self.request.data)
        data["branch"] = _branch(self, data["branch"])
        data["pickup_point"] = _pickup_point(self, data["pickup_point"])
        event = services.event_create(actor=self.membership, **data)
        return _admin_event_answer(self, event.pk, status_code=status.HTTP_201_CREATED)


class AdminEventDetailView(JSONAPIView):
    """GET: an event as the console sees it. PATCH: change it."""

    permission = Perm.MANAGE_EVENTS

    @extend_schema(responses={200: s.AdminEventSerializer, **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("An event in the console"))
    def get(self, request, slug, pk):
        return _admin_event_answer(self, _event_in_view(self, pk).pk)

    @extend_schema(request=s.EventUpdateSerializer, responses={200: s.AdminEventSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Change an event"),
                   description=_lazy("Only the fields sent change. Price and guests per member are frozen once "
                                     "members answered (409 frozen); the capacity never drops below the seats "
                                     "taken, and raised it offers seats to the waitlist; a new time is told to "
                                     "the members going. 409 event_cancelled, 409 event_over."))
    def patch(self, request, slug, pk):
        data = dict(_valid(s.EventUpdateSerializer, request.data))
        event = _event_in_scope(self, pk)
        if "branch" in data:
            data["branch"] = _branch(self, data["branch"])
        if "pickup_point" in data:
            data["pickup_point"] = _pickup_point(self, data["pickup_point"])
        services.event_update(actor=self.membership, event=event, **data)
        return _admin_event_answer(self, pk)


class AdminEventCoverView(JSONAPIView):
    """Upload the event's cover image."""

    permission = Perm.MANAGE_EVENTS
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": s.CoverUploadSerializer},
                   responses={200: s.AdminEventSerializer, **errors(400, 403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Upload an event's cover"),
                   description=_lazy("JPEG, PNG or WebP up to 5 MB; checked, re-encoded without EXIF and resized."))
    def put(self, request, slug, pk):
        event = _event_in_scope(self, pk)
        data = _valid(s.CoverUploadSerializer, request.data)
        services.event_set_cover(actor=self.membership, event=event, upload=data["cover"])
        return _admin_event_answer(self, pk)


class AdminEventPublishView(JSONAPIView):
    """Publish a draft: members see it and may RSVP."""

    permission = Perm.MANAGE_EVENTS

    @extend_schema(request=None, responses={200: s.AdminEventSerializer, **errors(403, 404, 409)},
                   tags=[TAG_CONSOLE], summary=_lazy("Publish an event"),
                   description=_lazy("Publishing again changes nothing. 409 not_draft for a cancelled event; 409 "
                                     "event_started when its start has passed."))
    def post(self, request, slug, pk):
        services.event_publish(actor=self.membership, event=_event_in_scope(self, pk))
        return _admin_event_answer(self, pk)


class AdminEventCancelView(JSONAPIView):
    """Cancel an event: every RSVP is cancelled, paid seats are refunded, members are told."""

    permission = Perm.MANAGE_EVENTS

    @extend_schema(request=s.EventCancelSerializer, responses={200: s.AdminEventSerializer,
                   **errors(400, 403, 404)}, tags=[TAG_CONSOLE], summary=_lazy("Cancel an event"),
                   description=_lazy("Cancelling again changes nothing."))
    def post(self, request, slug, pk):
        data = _valid(s.EventCancelSerializer, request.data)
        services.event_cancel(actor=self.membership, event=_event_in_scope(self, pk), reason=data["reason"])
        return _admin_event_answer(self, pk)


class AdminEventAttendeesView(JSONAPIView):
    """Attendance (going, checked in, no-shows, waiting) and a page of the members going."""

    permission = Perm.MANAGE_EVENTS

    @extend_schema(parameters=PAGE_PARAMETERS, responses={200: s.AttendeePageSerializer, **errors(400, 403, 404)},
                   tags=[TAG_CONSOLE],
                   summary=_lazy("An event's attendees"),
                   description=_lazy("No-shows count once the event has started. The console offers the CSV."))
    def get(self, request, slug, pk):
        event = _event_in_view(self, pk)
        page, links = _page(self, selectors.attendees(event))
        return Response(s.AttendeePageSerializer({"attendance": selectors.attendance(event), **links,
                                                  "results": page}).data)


class AdminEventRSVPsView(JSONAPIView):
    """An event's RSVPs in every state, and the history of its RSVPs (joined, waited, offered...)."""

    permission = Perm.MANAGE_EVENTS
    filter_backends = FILTER_BACKENDS
    filterset_class = AdminRSVPFilter
    queryset = RSVP.objects.none()

    @extend_schema(parameters=PAGE_PARAMETERS, filters=True,
                   responses={200: s.AdminRSVPPageSerializer, **errors(400, 403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("An event's RSVPs and their history"),
                   description=_lazy("Waitlisted RSVPs in the queue's order (first offered first), then the "
                                     "others, newest first. history: every RSVP change, oldest first, in words."))
    def get(self, request, slug, pk):
        event = _event_in_view(self, pk)
        waiting_first = Case(When(status=RSVP.Status.WAITLISTED, then=Value(0)), default=Value(1),
                             output_field=IntegerField())
        rsvps = (_console_rsvps(self).filter(event=event)
                 .order_by(waiting_first, "waitlisted_at", "-created_at", "-pk"))
        page, links = _page(self, self.filter_queryset(rsvps))
        history = selectors.waitlist_history(event)  # each AuditLog reads as its .sentence
        return Response(s.AdminRSVPPageSerializer({**links, "results": page, "history": history}).data)


class AdminRSVPsMarkPaidView(JSONAPIView):
    """Confirm transfers or cash received for held seats, one or many (admins)."""

    permission = Perm.MANAGE_EVENTS

    @extend_schema(request=s.RSVPsMarkPaidInputSerializer, responses={200: s.RSVPsMarkPaidResultSerializer,
                   **errors(400, 403, 404)}, tags=[TAG_CONSOLE], summary=_lazy("Mark seats paid"),
                   description=_lazy("Needs the right to manage orders too. An unknown id, or one of an event out "
                                     "of view, is a 404 and nothing changes. Money that arrives for a seat no "
                                     "longer held is recorded and owed back to the member."))
    def post(self, request, slug):
        data = _valid(s.RSVPsMarkPaidInputSerializer, request.data)
        ids = set(data["rsvp_ids"])
        rsvps = _all_or_404(_console_rsvps(self), ids, field="rsvp_ids", code="rsvp_not_found",
                            message=_("Some of these RSVPs do not exist."))
        marked = {r.pk for r in services.rsvps_mark_received(actor=self.membership, rsvps=rsvps,
                                                             reference=data["reference"])}
        return Response(s.RSVPsMarkPaidResultSerializer({"marked": sorted(marked),
                                                         "skipped": sorted(ids - marked)}).data)


class AdminRSVPDeclineTransferView(JSONAPIView):
    """The transfer a member reported for a seat did not arrive: they are told and get the payment
    window again."""

    permission = Perm.MANAGE_EVENTS

    @extend_schema(request=s.DeclineTransferInputSerializer, responses={200: s.AdminRSVPSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Decline a reported transfer"),
                   description=_lazy("Needs the right to manage orders too. 409 no_report when no transfer waits."))
    def post(self, request, slug, pk):
        data = _valid(s.DeclineTransferInputSerializer, request.data)
        rsvp = _console_rsvps(self).filter(pk=pk).first()
        if rsvp is None:
            raise _rsvp_not_found()
        services.rsvp_transfer_decline(actor=self.membership, rsvp=rsvp, note=data["note"])
        return Response(s.AdminRSVPSerializer(_console_rsvps(self).get(pk=pk)).data)


class AdminCheckInView(JSONAPIView):
    """Let a ticket in at the door, once: a second scan says when and by whom it was used."""

    permission = Perm.CHECK_IN

    @extend_schema(request=s.CheckInInputSerializer, responses={200: s.CheckInSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Check a ticket in"),
                   description=_lazy(
                       "200 for the first scan (first_time true) and for later ones (first_time false, with the "
                       "first time and who let it in). 404 ticket_not_found for an unknown code, a cancelled "
                       "RSVP's or one of an event out of view; 409 wrong_event when event_id is another event; "
                       "409 ticket_not_valid while waiting or unpaid; 409 check_in_closed outside the door's "
                       "hours; 409 event_cancelled."))
    def post(self, request, slug):
        data = _valid(s.CheckInInputSerializer, request.data)
        event = None
        if data["event_id"] is not None:
            event = _event_in_view(self, data["event_id"])
        check_in = services.ticket_check_in(actor=self.membership, code=data["code"], event=event)
        return Response(s.CheckInSerializer(check_in).data)
