import re

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.coupon_selectors import CODE_MAX as COUPON_CODE_MAX
from orders.coupon_selectors import clean_code
from orders.models import Order, Team
from orders.services import MAX_QUANTITY

# Bounds of what the columns hold: the inputs carry them as maxlength/max too.
NOTE_MAX = Order._meta.get_field("note").max_length
ADDRESS_MAX = Order._meta.get_field("delivery_address").max_length
TEAM_CODE_MAX = Team._meta.get_field("code").max_length
TOKEN_MAX = Order._meta.get_field("idempotency_key").max_length
ID_MAX = 2**31 - 1


class QuantityField(forms.Field):
    """A count typed on a phone: the digits 0-9 only, so "１２" (full-width), "-1", "1.5" and "1e3"
    each get their own message next to the field instead of being read as something else."""

    def __init__(self, *, max_value=MAX_QUANTITY, **kwargs):
        self.max_value = max_value
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        text = "" if value is None else str(value).strip()
        if not text:
            return 0
        if re.fullmatch(r"[0-9]{1,6}", text):
            return int(text)
        if text.startswith("-"):
            raise forms.ValidationError(_("The quantity cannot be negative."), code="negative")
        if re.fullmatch(r"[0-9]*[.,][0-9]*", text):
            raise forms.ValidationError(_("Enter a whole number, without decimals."), code="fraction")
        if re.fullmatch(r"\d+", text):  # digits, but not 0-9 (full-width, Arabic-Indic...)
            raise forms.ValidationError(_("Type the quantity with the digits 0 to 9."), code="digits")
        raise forms.ValidationError(_("Enter a whole number."), code="invalid")

    def validate(self, value):
        if value > self.max_value:
            raise forms.ValidationError(_("At most %(max)s."), code="max", params={"max": self.max_value})


class OrderForm(forms.Form):
    """Quantities come as qty_<item id>; the form token is the idempotency key of the submission.

    ``limits`` maps an item id to (the most this member may still take, why): what is left on
    offer, or the per-member limit less what they hold already. A quantity above it is an error
    next to that product, before the service is asked.
    """

    token = forms.CharField(widget=forms.HiddenInput, max_length=TOKEN_MAX)
    fulfilment = forms.ChoiceField(choices=[("pickup", _("Pickup")), ("delivery", _("Delivery"))], initial="pickup",
                                   widget=forms.RadioSelect)
    pickup_point = forms.IntegerField(required=False, min_value=1, max_value=ID_MAX,
                                      error_messages={"invalid": _("Choose one of the pickup points.")})
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=ADDRESS_MAX, required=False)
    note = forms.CharField(label=_("Note for the leader"), max_length=NOTE_MAX, required=False)
    team = forms.CharField(required=False, max_length=TEAM_CODE_MAX, widget=forms.HiddenInput)
    team_action = forms.ChoiceField(required=False, choices=[("", ""), ("open", "open"), ("join", "join")])
    # A tap on "join" beside one of the open teams listed on the round page.
    join_team = forms.CharField(required=False, max_length=TEAM_CODE_MAX)
    coupon = forms.CharField(label=_("Coupon code"), required=False, max_length=COUPON_CODE_MAX,
                             error_messages={"max_length": _("A coupon code has at most %(limit_value)d characters.")})
    # Shown only when the community lets members pay part of an order with points.
    use_points = forms.BooleanField(required=False)

    def __init__(self, *args, items=(), limits=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        self.limits = limits or {}
        for item in self.items:
            self.fields[f"qty_{item.pk}"] = QuantityField(initial=0)

    def clean_coupon(self):
        code = clean_code(self.cleaned_data.get("coupon"))
        if code is None:
            raise forms.ValidationError(_("A coupon code is letters A-Z and digits 0-9."), code="coupon_invalid")
        return code

    def clean(self):
        data = super().clean()
        chosen = 0
        for item in self.items:
            name = f"qty_{item.pk}"
            quantity = data.get(name)
            if not quantity:
                continue
            chosen += 1
            most, reason = self.limits.get(item.pk, (MAX_QUANTITY, ""))
            if quantity > most:
                self.add_error(name, reason or _("At most %(max)s.") % {"max": most})
        if not chosen and not any(f"qty_{item.pk}" in self.errors for item in self.items):
            raise forms.ValidationError(_("Choose how many you want of at least one product."), code="nothing")
        if data.get("join_team"):
            data["team"], data["team_action"] = data["join_team"], "join"
        return data

    def chosen_lines(self):
        return [(item.pk, self.cleaned_data.get(f"qty_{item.pk}") or 0) for item in self.items
                if self.cleaned_data.get(f"qty_{item.pk}")]


class TransferForm(forms.Form):
    reference = forms.CharField(label=_("Transfer note or last digits"), max_length=100, required=False)
