"""Console forms for selling: rounds and their item rows, pickup points, top-ups.

Forms only read input into Python values; every rule lives in orders.services, whose
ValidationFailed field keys are placed next to the matching field or item row.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import GroupBuy

DATETIME_LOCAL = {"type": "datetime-local"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_field(label, *, required=True, help_text=""):
    # Parsed in the current timezone: the console views activate the community's.
    return forms.DateTimeField(label=label, required=required, help_text=help_text,
                               widget=forms.DateTimeInput(attrs=DATETIME_LOCAL, format=DATETIME_FORMAT))


class GroupBuyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    mode = forms.ChoiceField(label=_("Mode"), choices=GroupBuy.Mode.choices, initial=GroupBuy.Mode.NORMAL,
                             widget=forms.RadioSelect)
    team_size = forms.IntegerField(label=_("Team size"), required=False, min_value=2, max_value=100,
                                   help_text=_("Team purchase only: how many paid members make a team."))
    team_window_hours = forms.IntegerField(label=_("Team window (hours)"), initial=24, min_value=1, max_value=720,
                                           help_text=_("Team purchase only: how long a team has to fill up."))
    opens_at = _datetime_field(_("Opens at"))
    closes_at = _datetime_field(_("Closes at"))
    expected_pickup_at = _datetime_field(_("Expected pickup"), required=False)
    pickup_points = forms.ModelMultipleChoiceField(label=_("Pickup points"), queryset=None, required=False,
                                                   widget=forms.CheckboxSelectMultiple)
    allows_delivery = forms.BooleanField(label=_("Delivery offered"), required=False)
    delivery_fee = forms.DecimalField(label=_("Delivery fee"), required=False, min_value=0, max_digits=12,
                                      decimal_places=2, initial=Decimal("0"))
    success_rule = forms.ChoiceField(label=_("Success rule"), choices=GroupBuy.SuccessRule.choices,
                                     initial=GroupBuy.SuccessRule.NONE)
    success_threshold = forms.DecimalField(label=_("Threshold"), required=False, min_value=0, max_digits=12,
                                           decimal_places=2,
                                           help_text=_("Units, amount or buyers, depending on the rule."))
    commission_rate = forms.DecimalField(label=_("Commission rate (%)"), required=False, min_value=0, max_value=100,
                                         max_digits=5, decimal_places=2, initial=Decimal("0"),
                                         help_text=_("Share of each completed order earned by the leader, e.g. 5."))
    branches = forms.ModelMultipleChoiceField(label=_("Branches"), queryset=None, required=False,
                                              widget=forms.CheckboxSelectMultiple,
                                              help_text=_("Leave all unticked for the whole community."))
    publish = forms.BooleanField(label=_("Publish now"), required=False, initial=True,
                                 help_text=_("Unticked: saved as a draft that only admins and leaders see."))

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pickup_points"].queryset = community.pickup_points.filter(is_active=True).order_by("name")
        self.fields["branches"].queryset = community.branches.order_by("name")

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        team = data["mode"] == GroupBuy.Mode.TEAM
        return {
            "title": data["title"], "description": data["description"], "mode": data["mode"],
            "team_size": data["team_size"] if team else None, "team_window_hours": data["team_window_hours"],
            "opens_at": data["opens_at"], "closes_at": data["closes_at"],
            "expected_pickup_at": data["expected_pickup_at"],
            "pickup_point_ids": [p.pk for p in data["pickup_points"]],
            "allows_delivery": data["allows_delivery"], "delivery_fee": data["delivery_fee"] or Decimal("0"),
            "success_rule": data["success_rule"], "success_threshold": data["success_threshold"] or Decimal("0"),
            # Percent on screen, a fraction in the database (5 -> 0.0500).
            "commission_rate": ((data["commission_rate"] or Decimal("0")) / 100).quantize(Decimal("0.0001")),
            "branch_ids": [b.pk for b in data["branches"]],
            "publish": data["publish"],
        }


TIER_SEPARATORS = re.compile(r"[,，;；\s]+")


def parse_tiers(text: str) -> tuple[tuple[int, Decimal], ...]:
    """'10:18.00, 20:16.50' -> ((10, Decimal('18.00')), (20, Decimal('16.50'))); full-width ：，also accepted."""
    tiers = []
    for chunk in TIER_SEPARATORS.split((text or "").strip()):
        if not chunk:
            continue
        quantity, sep, price = chunk.replace("：", ":").partition(":")
        try:
            if not sep or not (quantity.isascii() and quantity.isdigit() and len(quantity) <= 9):  # "²", 10**12
                raise ValueError
            amount = Decimal(price)
        except (InvalidOperation, ValueError):
            raise forms.ValidationError(_("Write tiers as quantity:price, e.g. 10:18.00, 20:16.50."),
                                        code="tiers")
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("1e10"):
            raise forms.ValidationError(_("Tier prices have at most two decimals."), code="tiers")
        tiers.append((int(quantity), amount))
    if len({q for q, _price in tiers}) != len(tiers):
        raise forms.ValidationError(_("Each tier quantity only once."), code="tiers")
    return tuple(sorted(tiers))


class ItemForm(forms.Form):
    """One item row. An untouched row is skipped (formset extra forms may stay empty)."""

    product = forms.ModelChoiceField(label=_("Product"), queryset=None, empty_label="—")
    group_price = forms.DecimalField(label=_("Group price"), min_value=0, max_digits=12, decimal_places=2,
                                     widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    quantity_on_offer = forms.IntegerField(label=_("Quantity on offer"), min_value=1, max_value=1_000_000)
    per_member_limit = forms.IntegerField(label=_("Limit per member"), required=False, min_value=1,
                                          max_value=1_000_000)
    tiers = forms.CharField(label=_("Price tiers"), required=False, max_length=300)

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products

    def clean_tiers(self):
        return parse_tiers(self.cleaned_data.get("tiers", ""))


class BaseItemFormSet(forms.BaseFormSet):
    def __init__(self, *args, products, **kwargs):
        self.products = products
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "products": self.products}

    def filled(self) -> list[tuple[int, dict]]:
        """(row index, cleaned data) of the rows that were filled in, in screen order."""
        return [(index, form.cleaned_data) for index, form in enumerate(self.forms)
                if form.has_changed() and form.cleaned_data]


MAX_ITEM_ROWS = 50


def item_formset_class(extra: int = 5):
    """The item rows; ``extra`` empty rows on a new form (no JavaScript: ask for more rows by link)."""
    return forms.formset_factory(ItemForm, formset=BaseItemFormSet, extra=max(1, min(extra, MAX_ITEM_ROWS)),
                                 max_num=MAX_ITEM_ROWS, absolute_max=MAX_ITEM_ROWS, validate_max=True)


class PickupPointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    address = forms.CharField(label=_("Address"), max_length=200)
    hours = forms.CharField(label=_("Opening hours"), max_length=120, required=False,
                            help_text=_("For example: daily 16:00–20:00."))
    leader = forms.ChoiceField(label=_("Leader in charge"), required=False)
    branch = forms.ChoiceField(label=_("Branch"), required=False)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        managers = (community.memberships.filter(status="active", role__in=["owner", "admin", "leader"])
                    .select_related("user").order_by("user__display_name"))
        self._leaders = {str(m.user_id): m.user for m in managers}
        self.fields["leader"].choices = [("", _("Nobody yet"))] + [
            (str(m.user_id), f"{m.user.display_name} ({m.get_role_display()})") for m in managers]
        branches = list(community.branches.order_by("name"))
        self._branches = {str(b.pk): b for b in branches}
        if branches:
            self.fields["branch"].choices = [("", _("No branch"))] + [(str(b.pk), b.name) for b in branches]
        else:
            del self.fields["branch"]

    def clean_leader(self):
        return self._leaders.get(self.cleaned_data.get("leader") or "")

    def clean_branch(self):
        return self._branches.get(self.cleaned_data.get("branch") or "")


class TopUpForm(forms.Form):
    """``token`` is the idempotency key of this form: a double submit records one top-up."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    member = forms.ChoiceField(label=_("Member"))
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2,
                                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    note = forms.CharField(label=_("Note"), max_length=200, required=False,
                           help_text=_("For example: cash at the Sunday market, WeChat transfer 8821."))

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        members = (community.memberships.filter(status="active").select_related("user")
                   .order_by("user__display_name", "user_id"))
        self._members = {str(m.user_id): m.user for m in members}
        self.fields["member"].choices = [("", "—")] + [
            (str(m.user_id), f"{m.user.display_name} · {m.user.phone or m.user.email or ''}".rstrip(" ·"))
            for m in members]

    def clean_member(self):
        return self._members[self.cleaned_data["member"]]
