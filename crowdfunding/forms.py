"""Forms of the member pages for campaigns: backing a campaign, reporting a transfer.

The form checks what a phone may send wrong (digits, bounds, a tier of another campaign); the
service decides everything else (sold out, the deadline, the pickup point) and its DomainError is
shown on the form (core.forms.add_domain_error).
"""

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.money import MAX_AMOUNT
from crowdfunding.models import Pledge
from crowdfunding.services import MAX_QUANTITY
from orders.forms import ID_MAX, QuantityField

TOKEN_MAX = Pledge._meta.get_field("idempotency_key").max_length
NOTE_MAX = Pledge._meta.get_field("note").max_length
ADDRESS_MAX = Pledge._meta.get_field("shipping_address").max_length
REFERENCE_MAX = 100
NO_REWARD = "none"


class MoneyField(forms.Field):
    """An amount typed on a phone: digits 0-9 with at most two decimals ("１２" and "1e3" are refused
    with their own message rather than read as something else)."""

    def __init__(self, *, max_value=MAX_AMOUNT, **kwargs):
        self.max_value = max_value
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal", "maxlength": "12"}

    def to_python(self, value):
        text = "" if value is None else str(value).strip().replace(",", ".")
        if not text:
            return None
        if text.startswith("-"):
            raise forms.ValidationError(_("The amount cannot be negative."), code="negative")
        if re.fullmatch(r"[0-9]{1,9}(\.[0-9]{0,2})?", text):
            return Decimal(text)
        if re.fullmatch(r"[0-9]+\.[0-9]{3,}", text):
            raise forms.ValidationError(_("At most two decimals."), code="decimals")
        if re.fullmatch(r"[\d.]+", text):  # digits, but not 0-9 (full-width, Arabic-Indic...)
            raise forms.ValidationError(_("Type the amount with the digits 0 to 9."), code="digits")
        raise forms.ValidationError(_("Enter an amount such as 12.50."), code="invalid")

    def validate(self, value):
        super().validate(value)
        if value is not None and value > self.max_value:
            raise forms.ValidationError(_("At most %(max)s."), code="max", params={"max": self.max_value})


class PledgeForm(forms.Form):
    """Back a campaign: a tier (or ``none``: support without a reward, with an amount), how many,
    extra support, anonymously or not, where the reward goes. The form token is the idempotency key
    of the submission, so a double tap makes one pledge."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=TOKEN_MAX)
    tier = forms.CharField(required=False, max_length=12)
    amount = MoneyField(label=_("Amount"))
    quantity = QuantityField(max_value=MAX_QUANTITY, label=_("Quantity"))
    extra_support = MoneyField(label=_("Extra support (optional)"))
    anonymous = forms.BooleanField(required=False, label=_("Back anonymously"))
    pickup_point = forms.IntegerField(required=False, min_value=1, max_value=ID_MAX,
                                      error_messages={"invalid": _("Choose one of the pickup points offered.")})
    shipping_address = forms.CharField(label=_("Shipping address"), max_length=ADDRESS_MAX, required=False)
    note = forms.CharField(label=_("Note (optional)"), max_length=NOTE_MAX, required=False)

    def __init__(self, *args, tiers=(), allow_gift=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.tiers = {str(t.pk): t for t in tiers}
        self.allow_gift = allow_gift

    def clean(self):
        data = super().clean()
        choice = (data.get("tier") or "").strip()
        if not self.tiers:  # a donation drive: the amount is the gift
            choice = NO_REWARD
        if choice == NO_REWARD and self.allow_gift:
            data["tier_obj"] = None
            if "amount" not in self.errors and not data.get("amount"):
                self.add_error("amount", _("Enter how much you want to give."))
            data["quantity"] = 1
        elif choice in self.tiers:
            tier = self.tiers[choice]
            data["tier_obj"] = tier
            quantity = data.get("quantity") if "quantity" not in self.errors else None
            if quantity == 0:
                data["quantity"] = quantity = 1
            if quantity and tier.remaining is not None and quantity > tier.remaining:
                if tier.remaining == 0:
                    self.add_error("tier", _("“%(title)s” is sold out.") % {"title": tier.title})
                else:
                    self.add_error("quantity", _("Only %(n)s left.") % {"n": tier.remaining})
            if tier.fulfilment == "pickup" and not data.get("pickup_point") and "pickup_point" not in self.errors:
                self.add_error("pickup_point", _("Choose where you pick the reward up."))
            if tier.fulfilment == "shipping" and not (data.get("shipping_address") or "").strip():
                self.add_error("shipping_address", _("Enter the shipping address."))
        else:
            self.add_error("tier", _("Choose a reward, or support without one."))
        return data


class TransferForm(forms.Form):
    reference = forms.CharField(label=_("Transfer note or last digits"), max_length=REFERENCE_MAX, required=False)
