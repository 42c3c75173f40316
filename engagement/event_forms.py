"""Forms of the member pages for events: answering an event (RSVP with guests).

The form checks what a phone may send wrong (digits, bounds, more guests than the event allows);
the service decides everything else (the deadline, a full event, a cancelled one) and its
DomainError is shown on the form (core.forms.add_domain_error). Reporting a transfer uses the
orders' TransferForm, as every other charge does.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from engagement.models import MAX_GUESTS
from orders.forms import QuantityField


class RSVPForm(forms.Form):
    """RSVP to an event, optionally with guests (each takes a seat). A double tap answers once:
    the service returns the standing RSVP unchanged."""

    guests = QuantityField(max_value=MAX_GUESTS, label=_("Guests"))

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event

    def clean_guests(self):
        guests = self.cleaned_data["guests"] or 0
        if guests > self.event.max_guests:
            if self.event.max_guests == 0:
                raise forms.ValidationError(_("This event takes no guests."), code="no_guests")
            raise forms.ValidationError(
                ngettext("At most %(n)s guest.", "At most %(n)s guests.", self.event.max_guests)
                % {"n": self.event.max_guests}, code="too_many_guests")
        return guests
