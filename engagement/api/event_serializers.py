"""Shapes of the events API: input serializers check types and bounds only, output serializers render.

The rules (seats, the waitlist, deadlines, frozen fields, who may do what) are engagement.events'.
Money is rendered as strings with two decimals, times as ISO 8601 with their offset. Numbers typed
by people are read in ASCII digits only ("３" is not 3).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communities.api.serializers import CoverUploadSerializer  # noqa: F401 - the cover upload, as for a community
from core.api import IdField, InstantField
from crowdfunding.api.serializers import AmountField, AsciiIntegerField
from engagement.models import RSVP, Event
from orders.api.serializers import MoneyField, NamedChoiceField, PickupPointRefSerializer, UserRefSerializer

MAX_INT = 2**31 - 1

EVENT_KIND = {"enum_name": "EventKindEnum", "choices": Event.Kind.choices}
EVENT_STATUS = {"enum_name": "EventStatusEnum", "choices": Event.Status.choices}
RSVP_STATUS = {"enum_name": "RSVPStatusEnum", "choices": RSVP.Status.choices}


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


# Events --------------------------------------------------------------------------------------

class EventRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    kind = NamedChoiceField(read_only=True, **EVENT_KIND)
    status = NamedChoiceField(read_only=True, **EVENT_STATUS)
    starts_at = serializers.DateTimeField(read_only=True)
    ends_at = serializers.DateTimeField(read_only=True)


class EventSerializer(serializers.Serializer):
    """An event as members see it."""

    id = serializers.IntegerField(read_only=True)
    kind = NamedChoiceField(read_only=True, **EVENT_KIND)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    cover_url = serializers.SerializerMethodField()
    starts_at = serializers.DateTimeField(read_only=True)
    ends_at = serializers.DateTimeField(read_only=True)
    rsvp_deadline = serializers.DateTimeField(read_only=True, help_text=_("RSVPs close at this time"))
    pickup_point = PickupPointRefSerializer(read_only=True, allow_null=True)
    address = serializers.CharField(read_only=True)
    online_url = serializers.CharField(read_only=True, help_text=_("The link of an online event (or empty)"))
    capacity = serializers.IntegerField(read_only=True, allow_null=True, help_text=_("Seats in all; null: no limit"))
    seats_left = serializers.IntegerField(read_only=True, allow_null=True,
                                          help_text=_("Seats free now (a guest takes one); null: no limit"))
    max_guests = serializers.IntegerField(read_only=True, help_text=_("Guests a member may bring"))
    price = MoneyField(help_text=_("Per seat (each guest pays one too); 0: free"))
    currency = serializers.CharField(read_only=True)
    status = NamedChoiceField(read_only=True, **EVENT_STATUS)
    branch = serializers.IntegerField(source="branch_id", read_only=True, allow_null=True,
                                      help_text=_("The branch it is for (a community id); null: everyone"))
    my_rsvp_status = NamedChoiceField(read_only=True, allow_null=True, **RSVP_STATUS,
                                      help_text=_("My answer to it; null: none"))
    updated_at = serializers.DateTimeField(read_only=True)

    def get_cover_url(self, event) -> str | None:
        return _absolute(self.context.get("request"), event.cover.url) if event.cover else None


class MyRSVPRefSerializer(serializers.Serializer):
    """My answer on the event's page (the ticket code only while I am going)."""

    id = serializers.IntegerField(read_only=True)
    status = NamedChoiceField(read_only=True, **RSVP_STATUS)
    guests = serializers.IntegerField(read_only=True)
    waitlist_position = serializers.IntegerField(read_only=True, allow_null=True,
                                                 help_text=_("My place in the queue (1: next); null: not waiting"))
    offer_expires_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                                 help_text=_("An offered seat is mine if I take it by then"))
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                           help_text=_("A held seat is released if not paid by then"))
    ticket_code = serializers.SerializerMethodField(help_text=_("Shown at the door; only while going"))
    checked_in_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_ticket_code(self, rsvp) -> str | None:
        return rsvp.ticket_code if rsvp.status == RSVP.Status.GOING else None


class EventDetailSerializer(EventSerializer):
    """An event's page, with my RSVP (``context["rsvp"]``, its ``waitlist_position`` set)."""

    my_rsvp = serializers.SerializerMethodField()

    @extend_schema_field(MyRSVPRefSerializer(allow_null=True))
    def get_my_rsvp(self, event):
        rsvp = self.context.get("rsvp")
        return MyRSVPRefSerializer(rsvp).data if rsvp is not None else None


class AdminEventSerializer(EventSerializer):
    """An event in the console: drafts too, who made it, the seats taken."""

    my_rsvp_status = None
    seats_taken = serializers.IntegerField(read_only=True,
                                           help_text=_("Seats held by RSVPs going, awaiting payment or offered"))
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    cancelled_at = serializers.DateTimeField(read_only=True, allow_null=True)


class EventWriteSerializer(serializers.Serializer):
    """Creating an event (PATCH: only the fields sent change; null clears an optional one)."""

    title = serializers.CharField(max_length=120)
    kind = NamedChoiceField(required=False, default=Event.Kind.MEETUP, **EVENT_KIND)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    starts_at = InstantField()
    ends_at = InstantField()
    rsvp_deadline = InstantField(required=False, allow_null=True, default=None,
                                              help_text=_("By the start at the latest; null: the start"))
    pickup_point = IdField(required=False, allow_null=True, default=None, help_text=_("One of the pickup points"))
    address = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    online_url = serializers.CharField(required=False, allow_blank=True, max_length=500, default="",
                                       help_text=_("http:// or https:// link for an online event"))
    capacity = AsciiIntegerField(required=False, allow_null=True, default=None, min_value=-MAX_INT,
                                 max_value=MAX_INT, help_text=_("1 to 100000 seats; null: no limit"))
    max_guests = AsciiIntegerField(required=False, default=0, min_value=-MAX_INT, max_value=MAX_INT,
                                   help_text=_("Guests per member, 0 to 5"))
    price = AmountField(required=False, help_text=_("Per seat; 0 or absent: free"))
    branch = IdField(required=False, allow_null=True, default=None,
                     help_text=_("A branch id (a leader's event is for their own branch); null: everyone"))


class EventUpdateSerializer(EventWriteSerializer):
    title = serializers.CharField(max_length=120, required=False)
    kind = NamedChoiceField(required=False, **EVENT_KIND)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    starts_at = InstantField(required=False)
    ends_at = InstantField(required=False)
    rsvp_deadline = InstantField(required=False, allow_null=True)
    pickup_point = IdField(required=False, allow_null=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    online_url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    capacity = AsciiIntegerField(required=False, allow_null=True, min_value=-MAX_INT, max_value=MAX_INT)
    max_guests = AsciiIntegerField(required=False, min_value=-MAX_INT, max_value=MAX_INT)
    branch = IdField(required=False, allow_null=True)


class EventCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="",
                                   help_text=_("Told to the members who answered"))


# RSVPs ---------------------------------------------------------------------------------------

class RSVPCreateSerializer(serializers.Serializer):
    guests = AsciiIntegerField(required=False, default=0, min_value=-MAX_INT, max_value=MAX_INT,
                               help_text=_("Guests I bring (each takes a seat), up to the event's limit"))


class RSVPSerializer(serializers.Serializer):
    """An RSVP as its member sees it (only ever answered to them). The view annotates
    ``queue_position`` and ``transfer_reported``."""

    id = serializers.IntegerField(read_only=True)
    event = EventRefSerializer(read_only=True)
    status = NamedChoiceField(read_only=True, **RSVP_STATUS)
    guests = serializers.IntegerField(read_only=True)
    seats = serializers.IntegerField(read_only=True, help_text=_("Me and my guests"))
    waitlist_position = serializers.IntegerField(source="queue_position", read_only=True, allow_null=True,
                                                 help_text=_("My place in the queue (1: next); null: not waiting"))
    offered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    offer_expires_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                                 help_text=_("An offered seat is mine if I take it by then"))
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                           help_text=_("A held seat is released if not paid by then"))
    amount = serializers.SerializerMethodField(help_text=_("What the seats cost (null: free)"))
    currency = serializers.CharField(source="event.currency", read_only=True)
    paid = serializers.SerializerMethodField(help_text=_("The seats are paid for"))
    transfer_reported = serializers.BooleanField(read_only=True,
                                                 help_text=_("A transfer reported and waiting for an admin"))
    ticket_code = serializers.SerializerMethodField(help_text=_("Shown at the door; only while going"))
    ticket_png_url = serializers.SerializerMethodField(help_text=_("The ticket's QR code; only while going"))
    checked_in_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    cancelled_at = serializers.DateTimeField(read_only=True, allow_null=True)

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True))
    def get_amount(self, rsvp):
        if rsvp.charge_id is None:
            return None
        return serializers.DecimalField(max_digits=12, decimal_places=2).to_representation(rsvp.charge.amount)

    def get_paid(self, rsvp) -> bool:
        return rsvp.charge_id is not None and rsvp.charge.paid_amount >= rsvp.charge.amount

    def get_ticket_code(self, rsvp) -> str | None:
        return rsvp.ticket_code if rsvp.status == RSVP.Status.GOING else None

    def get_ticket_png_url(self, rsvp) -> str | None:
        if rsvp.status != RSVP.Status.GOING:
            return None
        return _absolute(self.context.get("request"), reverse(
            "api-rsvp-ticket", kwargs={"slug": self.context["slug"], "pk": rsvp.pk}))


class RSVPPayInputSerializer(serializers.Serializer):
    method = NamedChoiceField(enum_name="RSVPPayMethodEnum", choices=[
        ("wallet", _("Wallet balance")), ("transfer", _("Transfer or cash (confirmed by an admin)"))])
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="",
                                      help_text=_("For a transfer: its note or last digits"))


class AdminRSVPSerializer(serializers.Serializer):
    """An RSVP in the console (never its ticket code). The view annotates ``queue_position`` and
    ``transfer_reported``."""

    id = serializers.IntegerField(read_only=True)
    member = UserRefSerializer(read_only=True)
    status = NamedChoiceField(read_only=True, **RSVP_STATUS)
    guests = serializers.IntegerField(read_only=True)
    seats = serializers.IntegerField(read_only=True)
    branch = serializers.IntegerField(source="branch_id", read_only=True, allow_null=True)
    waitlisted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    waitlist_position = serializers.IntegerField(source="queue_position", read_only=True, allow_null=True)
    offered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    offer_expires_at = serializers.DateTimeField(read_only=True, allow_null=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)
    amount = serializers.SerializerMethodField()
    transfer_reported = serializers.BooleanField(read_only=True)
    checked_in_at = serializers.DateTimeField(read_only=True, allow_null=True)
    checked_in_by = UserRefSerializer(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    cancelled_at = serializers.DateTimeField(read_only=True, allow_null=True)

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True))
    def get_amount(self, rsvp):
        return RSVPSerializer.get_amount(self, rsvp)


class HistoryLineSerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="created_at", read_only=True)
    action = serializers.CharField(read_only=True, help_text=_("rsvp.going, rsvp.waitlisted, rsvp.offered..."))
    rsvp = serializers.IntegerField(source="object_id", read_only=True, allow_null=True)
    sentence = serializers.CharField(read_only=True, help_text=_("What happened, in the caller's language"))


class _PageSerializer(serializers.Serializer):
    count = serializers.IntegerField(read_only=True)
    next = serializers.URLField(read_only=True, allow_null=True)
    previous = serializers.URLField(read_only=True, allow_null=True)


class AdminRSVPPageSerializer(_PageSerializer):
    """A page of an event's RSVPs, and the history of its RSVPs (oldest first)."""

    results = AdminRSVPSerializer(many=True, read_only=True)
    history = HistoryLineSerializer(many=True, read_only=True)


class AttendanceSerializer(serializers.Serializer):
    going = serializers.IntegerField(read_only=True, help_text=_("RSVPs going"))
    seats = serializers.IntegerField(read_only=True, help_text=_("Their seats, guests included"))
    checked_in = serializers.IntegerField(read_only=True)
    checked_in_seats = serializers.IntegerField(read_only=True)
    no_shows = serializers.IntegerField(read_only=True, help_text=_("Going and not checked in (0 before the start)"))
    waitlisted = serializers.IntegerField(read_only=True)
    offered = serializers.IntegerField(read_only=True)
    unpaid = serializers.IntegerField(read_only=True, help_text=_("Seats held and awaiting payment"))
    started = serializers.BooleanField(read_only=True)


class AttendeeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    member = UserRefSerializer(read_only=True)
    guests = serializers.IntegerField(read_only=True)
    seats = serializers.IntegerField(read_only=True)
    branch = serializers.IntegerField(source="branch_id", read_only=True, allow_null=True)
    checked_in_at = serializers.DateTimeField(read_only=True, allow_null=True)
    checked_in_by = UserRefSerializer(read_only=True, allow_null=True)


class AttendeePageSerializer(_PageSerializer):
    """The counts, and a page of the RSVPs going."""

    attendance = AttendanceSerializer(read_only=True)
    results = AttendeeSerializer(many=True, read_only=True)


class RSVPsMarkPaidInputSerializer(serializers.Serializer):
    rsvp_ids = serializers.ListField(child=IdField(), allow_empty=False, max_length=500)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class RSVPsMarkPaidResultSerializer(serializers.Serializer):
    marked = serializers.ListField(child=serializers.IntegerField(), help_text=_("RSVPs now paid (going)"))
    skipped = serializers.ListField(child=serializers.IntegerField(),
                                    help_text=_("RSVPs not awaiting payment (paid already, cancelled...)"))


class DeclineTransferInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="",
                                 help_text=_("Told to the member"))


class CheckInInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=100, help_text=_("The ticket's code, typed or scanned "
                                                             "(case, spaces and dashes do not matter)"))
    event_id = IdField(required=False, allow_null=True, default=None,
                       help_text=_("The event at this door: a ticket for another one is refused"))


class CheckInSerializer(serializers.Serializer):
    first_time = serializers.BooleanField(read_only=True,
                                          help_text=_("false: the ticket was used already (at checked_in_at, by "
                                                      "checked_in_by)"))
    checked_in_at = serializers.DateTimeField(read_only=True)
    checked_in_by = UserRefSerializer(read_only=True, allow_null=True)
    rsvp = serializers.IntegerField(source="rsvp.pk", read_only=True)
    member = UserRefSerializer(source="rsvp.member", read_only=True)
    guests = serializers.IntegerField(source="rsvp.guests", read_only=True)
    event = EventRefSerializer(source="rsvp.event", read_only=True)
