"""Console forms for events: the event (kind, times, place, seats, price, branch, cover), the
cancellation with its reason, and the door's code box.

Forms only read input into Python values bounded by their columns; every rule (times in order,
a place given, capacity never below the seats taken, frozen price once anyone RSVPed) lives in
engagement.events, whose ValidationFailed field keys are placed next to the matching field.
Times are local date-times in the community's timezone (the console views activate it), read
with the digits 0-9 only: Python's strptime reads "２０２６" as 2026, and a form that accepted
it would store a time the organiser did not see.
"""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.forms import BranchChoiceMixin
from communities.permissions import pickup_points_in_scope
from core.money import MAX_AMOUNT
from engagement.events import MAX_CAPACITY
from engagement.models import MAX_GUESTS, Event

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
AMOUNT = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?", re.ASCII)
WHOLE = re.compile(r"[0-9]{1,9}", re.ASCII)
CODE_MAX = 300  # a scanner may type a whole link; the service reads the code out of it
# The event's fields the service takes, in the form's order.
EVENT_FIELDS = ("kind", "title", "description", "starts_at", "ends_at", "rsvp_deadline", "pickup_point", "address",
                "online_url", "capacity", "max_guests", "price", "branch")


def no_nul(value: str) -> str:
    return (value or "").replace("\x00", "")


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input, read in the current (the community's) timezone, ASCII digits only."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
            if value and (not value.isascii() or "\x00" in value or len(value) > 32):
                raise forms.ValidationError(_("Enter a date and time such as 2026-12-31 19:30."), code="invalid")
        return super().to_python(value)


def _whole(value: str, *, maximum: int, required: bool = False):
    value = (value or "").strip()
    if not value:
        if required:
            raise forms.ValidationError(_("This field is required."), code="required")
        return None
    if not WHOLE.fullmatch(value):
        raise forms.ValidationError(_("A whole number (digits 0–9)."), code="number")
    number = int(value)
    if number > maximum:
        raise forms.ValidationError(_("At most %(max)s.") % {"max": maximum}, code="max_value")
    return number


class EventForm(BranchChoiceMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Event.Kind.choices, initial=Event.Kind.MEETUP)
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 5}),
                                  help_text=_("What happens, what to bring, who it is for."))
    starts_at = LocalDateTimeField(label=_("Starts at"))
    ends_at = LocalDateTimeField(label=_("Ends at"))
    rsvp_deadline = LocalDateTimeField(label=_("RSVP deadline"), required=False,
                                       help_text=_("Empty: members can answer until the event starts."))
    pickup_point = forms.ChoiceField(label=_("Pickup point"), required=False,
                                     help_text=_("Where it happens: a pickup point, an address, or a link for "
                                                 "online events (at least one)."))
    address = forms.CharField(label=_("Address"), required=False, max_length=300)
    online_url = forms.URLField(label=_("Link (online events)"), required=False, max_length=500,
                                assume_scheme="https",
                                widget=forms.URLInput(attrs={"placeholder": "https://"}))
    capacity = forms.CharField(label=_("Capacity"), required=False, max_length=9,
                               widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": _("no limit")}),
                               help_text=_("Seats, guests included. Empty: no limit. When it is full, members "
                                           "join a waitlist."))
    max_guests = forms.IntegerField(label=_("Guests per member"), min_value=0, max_value=MAX_GUESTS, initial=0,
                                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    price = forms.CharField(label=_("Price per seat (¥)"), required=False, max_length=10,
                            widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
                            help_text=_("Empty or 0: free. Paid from the wallet or by transfer."))
    branch = forms.ChoiceField(label=_("Branch"), required=False,
                               help_text=_("Empty: the whole community sees the event."))
    cover = forms.FileField(label=_("Cover image"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
                            help_text=_("JPEG, PNG or WebP. Location and camera data are removed."))

    def __init__(self, *args, community, membership, event: Event | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        points = pickup_points_in_scope(membership, community.pickup_points.filter(is_active=True))
        points = list(points.order_by("name"))
        if event is not None and event.pickup_point_id and event.pickup_point_id not in {p.pk for p in points}:
            points.append(event.pickup_point)  # a retired point (or one set by an admin) stays shown
        self._points = {str(p.pk): p for p in points}
        if points:
            self.fields["pickup_point"].choices = [("", _("None"))] + [(str(p.pk), p.name) for p in points]
        else:
            del self.fields["pickup_point"]
        self.offer_branches(community=community, membership=membership,
                            current=event.branch if event is not None and event.branch_id else None)
        # Members answered on these terms: shown greyed out, and what was posted for them is ignored.
        self.frozen = event is not None and event.rsvps.exists()
        if self.frozen:
            for name in ("price", "max_guests"):
                self.fields[name].disabled = True

    @staticmethod
    def initial_of(event: Event) -> dict:
        def minute(value):
            return value and timezone.localtime(value).replace(second=0, microsecond=0)

        return {"kind": event.kind, "title": event.title, "description": event.description,
                "starts_at": minute(event.starts_at), "ends_at": minute(event.ends_at),
                "rsvp_deadline": minute(event.rsvp_deadline), "pickup_point": str(event.pickup_point_id or ""),
                "address": event.address, "online_url": event.online_url,
                "capacity": "" if event.capacity is None else str(event.capacity), "max_guests": event.max_guests,
                "price": "" if not event.price else str(event.price), "branch": str(event.branch_id or "")}

    def clean_title(self):
        return no_nul(self.cleaned_data["title"]).strip()

    def clean_description(self):
        return no_nul(self.cleaned_data["description"]).strip()

    def clean_address(self):
        return no_nul(self.cleaned_data["address"]).strip()

    def clean_online_url(self):
        value = no_nul(self.cleaned_data["online_url"]).strip()
        if value and not value.isascii():
            raise forms.ValidationError(_("Enter the link as copied from the browser's address bar."),
                                        code="invalid")
        return value

    def clean_capacity(self):
        value = _whole(self.cleaned_data["capacity"], maximum=MAX_CAPACITY)
        if value == 0:
            raise forms.ValidationError(_("At least 1 seat, or empty for no limit."), code="min_value")
        return value

    def clean_price(self):
        from decimal import Decimal

        value = (self.cleaned_data["price"] or "").strip()
        if not value:
            return Decimal("0")
        if not AMOUNT.fullmatch(value):
            raise forms.ValidationError(_("Enter an amount such as 38.00 (digits 0–9, at most two decimals)."),
                                        code="amount")
        amount = Decimal(value)
        if amount > MAX_AMOUNT:
            raise forms.ValidationError(_("At most %(max)s.") % {"max": MAX_AMOUNT}, code="max_value")
        return amount

    def clean_pickup_point(self):
        return self._points.get(self.cleaned_data.get("pickup_point") or "")

    def values(self) -> dict:
        """The service's event fields: all of them for a new event, the changed ones when editing."""
        data = self.cleaned_data
        names = [n for n in EVENT_FIELDS if n in self.fields]
        if self.event is not None:
            names = [n for n in names if n in self.changed_data]
        values = {name: data[name] for name in names}
        if "pickup_point" not in self.fields and self.event is None:
            values["pickup_point"] = None
        return values


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (sent to the members going)"), required=False, max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": _("e.g. The venue flooded")}))

    def clean_reason(self):
        return no_nul(self.cleaned_data["reason"]).strip()
