"""Console forms for selling: rounds and their item rows, pickup points, top-ups.

Forms only read input into Python values; every rule lives in orders.services, whose
ValidationFailed field keys are placed next to the matching field or item row.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.permissions import acts_community_wide, pickup_points_in_scope
from core.inputs import parse_int
from core.money import MAX_AMOUNT
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
    delivery_fee = forms.DecimalField(label=_("Delivery fee"), required=False, min_value=0, max_value=MAX_AMOUNT,
                                      max_digits=12,
                                      decimal_places=2, initial=Decimal("0"))
    success_rule = forms.ChoiceField(label=_("Success rule"), choices=GroupBuy.SuccessRule.choices,
                                     initial=GroupBuy.SuccessRule.NONE)
    success_threshold = forms.DecimalField(label=_("Threshold"), required=False, min_value=0,
                                           max_value=Decimal("1000000000"), max_digits=12,
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

    def __init__(self, *args, community, membership=None, group_buy=None, **kwargs):
        """``group_buy``: the round being changed (no "publish now"; its retired pickup points stay
        listed). A new round has every pickup point in use ticked."""
        super().__init__(*args, **kwargs)
        points = community.pickup_points.filter(is_active=True)
        branches = community.active_branches().order_by("name")
        if membership is not None and not acts_community_wide(membership):
            # A leader's round: their branch's pickup points, their branch, the default commission rate.
            points = pickup_points_in_scope(membership, points)
            branches = branches.filter(pk=membership.branch_id)
            del self.fields["commission_rate"]
        if group_buy is not None:
            points = points | community.pickup_points.filter(group_buys=group_buy)
            del self.fields["publish"]
        else:
            self.fields["pickup_points"].initial = list(points.values_list("pk", flat=True))
        self.fields["pickup_points"].queryset = points.distinct().order_by("name")
        self.fields["branches"].queryset = branches

    @staticmethod
    def initial_of(group_buy: GroupBuy) -> dict:
        """The form's values for an existing round (local times to the minute, the rate in percent)."""
        def minute(value):
            return value and timezone.localtime(value).replace(second=0, microsecond=0)

        return {
            "title": group_buy.title, "description": group_buy.description, "mode": group_buy.mode,
            "team_size": group_buy.team_size, "team_window_hours": group_buy.team_window_hours,
            "opens_at": minute(group_buy.opens_at), "closes_at": minute(group_buy.closes_at),
            "expected_pickup_at": minute(group_buy.expected_pickup_at),
            "pickup_points": list(group_buy.pickup_points.values_list("pk", flat=True)),
            "allows_delivery": group_buy.allows_delivery, "delivery_fee": group_buy.delivery_fee,
            "success_rule": group_buy.success_rule, "success_threshold": group_buy.success_threshold,
            "commission_rate": (group_buy.commission_rate * 100).quantize(Decimal("0.01")),
            "branches": list(group_buy.branches.values_list("pk", flat=True)),
        }

    def changes(self) -> dict:
        """The service's arguments for the fields that changed from their initial values."""
        kwargs = self.service_kwargs()
        changed = set(self.changed_data) - {"publish"}
        if "mode" in changed:
            changed.add("team_size")
        from orders.services import ROUND_FIELD_ALIASES

        return {ROUND_FIELD_ALIASES.get(name, name): kwargs[ROUND_FIELD_ALIASES.get(name, name)] for name in changed}

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
            # Percent on screen, a fraction in the database (5 -> 0.0500); no field: the default rate.
            "commission_rate": ((data["commission_rate"] or Decimal("0")) / 100).quantize(Decimal("0.0001"))
            if "commission_rate" in self.fields else None,
            "branch_ids": [b.pk for b in data["branches"]],
            "publish": data.get("publish", False),
        }



TIER_ROWS = 5  # price tiers a console item row offers (the API takes more)
PRICE = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?", re.ASCII)


class ItemForm(forms.Form):
    """One item row: its product, price, quantities and up to TIER_ROWS price tiers (quantity, price)
    as pairs of inputs. An untouched row is skipped (formset extra forms may stay empty)."""

    item_id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    product = forms.ModelChoiceField(label=_("Product"), queryset=None, empty_label="—")
    group_price = forms.DecimalField(label=_("Group price"), min_value=0, max_value=MAX_AMOUNT, max_digits=12,
                                     decimal_places=2,
                                     widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    quantity_on_offer = forms.IntegerField(label=_("Quantity on offer"), min_value=1, max_value=1_000_000)
    per_member_limit = forms.IntegerField(label=_("Limit per member"), required=False, min_value=1,
                                          max_value=1_000_000)

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        for n in range(TIER_ROWS):
            self.fields[f"tier_quantity_{n}"] = forms.CharField(
                label=_("From quantity"), required=False, max_length=7,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": _("from qty"), "size": 5}))
            self.fields[f"tier_price_{n}"] = forms.CharField(
                label=_("Price"), required=False, max_length=13,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": _("price"), "size": 6}))

    def tier_pairs(self):
        """(quantity field, price field) per tier row, for the template."""
        return [(self[f"tier_quantity_{n}"], self[f"tier_price_{n}"]) for n in range(TIER_ROWS)]

    def clean(self):
        data = super().clean()
        tiers = []
        for n in range(TIER_ROWS):
            quantity = (data.get(f"tier_quantity_{n}") or "").strip()
            price = (data.get(f"tier_price_{n}") or "").strip()
            if not quantity and not price:
                continue
            number = parse_int(quantity, minimum=1, maximum=1_000_000)
            if number is None or not PRICE.fullmatch(price) or Decimal(price) > MAX_AMOUNT:
                raise forms.ValidationError(
                    _("Each price tier needs a quantity (1 to 1,000,000) and a price such as 16.50."), code="tiers")
            tiers.append((number, Decimal(price)))
        if len({q for q, _price in tiers}) != len(tiers):
            raise forms.ValidationError(_("Each tier quantity only once."), code="tiers")
        data["tiers"] = tuple(sorted(tiers))
        return data


class BaseItemFormSet(forms.BaseFormSet):
    def __init__(self, *args, products, **kwargs):
        self.products = products
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "products": self.products}

    def filled(self) -> list[tuple[int, dict]]:
        """(row index, cleaned data) of the rows filled in or kept (an existing item not ticked for
        removal), in screen order."""
        return [(index, form.cleaned_data) for index, form in enumerate(self.forms)
                if form.cleaned_data and (form.has_changed() or form.cleaned_data.get("item_id"))
                and not form.cleaned_data.get("DELETE")]

    def specs(self) -> list:
        from orders.services import ItemSpec

        return [ItemSpec(product_id=row["product"].pk, group_price=row["group_price"],
                         quantity_on_offer=row["quantity_on_offer"], per_member_limit=row["per_member_limit"],
                         tiers=row["tiers"], item_id=row.get("item_id")) for _index, row in self.filled()]


MAX_ITEM_ROWS = 50


def item_formset_class(extra: int = 5, *, removable: bool = False):
    """The item rows; ``extra`` empty rows on a new form (no JavaScript: ask for more rows by link).
    ``removable``: each row has a "remove" box (changing a round)."""
    return forms.formset_factory(ItemForm, formset=BaseItemFormSet, extra=max(1, min(extra, MAX_ITEM_ROWS)),
                                 max_num=MAX_ITEM_ROWS, absolute_max=MAX_ITEM_ROWS, validate_max=True,
                                 can_delete=removable, can_delete_extra=False)


def item_initial(group_buy: GroupBuy) -> list[dict]:
    rows = []
    for item in group_buy.items.prefetch_related("tiers"):
        row = {"item_id": item.pk, "product": item.product_id, "group_price": item.group_price,
               "quantity_on_offer": item.quantity_on_offer, "per_member_limit": item.per_member_limit}
        for n, tier in enumerate(list(item.tiers.all())[:TIER_ROWS]):
            row[f"tier_quantity_{n}"], row[f"tier_price_{n}"] = str(tier.min_quantity), str(tier.price)
        rows.append(row)
    return rows


class PickupPointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    address = forms.CharField(label=_("Address"), max_length=200)
    hours = forms.CharField(label=_("Opening hours"), max_length=120, required=False,
                            help_text=_("For example: daily 16:00–20:00."))
    leader = forms.ChoiceField(label=_("Leader in charge"), required=False)
    branch = forms.ChoiceField(label=_("Branch"), required=False)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, community, membership=None, **kwargs):
        super().__init__(*args, **kwargs)
        managers = (community.memberships.filter(status="active", role__in=["owner", "admin", "leader"])
                    .select_related("user").order_by("user__display_name"))
        self._leaders = {str(m.user_id): m.user for m in managers}
        self.fields["leader"].choices = [("", _("Nobody yet"))] + [
            (str(m.user_id), f"{m.user.display_name} ({m.get_role_display()})") for m in managers]
        branches = community.active_branches().order_by("name")
        leader = membership is not None and not acts_community_wide(membership)
        if leader:  # a leader keeps the pickup points of their own branch
            branches = branches.filter(pk=membership.branch_id)
        branches = list(branches)
        self._branches = {str(b.pk): b for b in branches}
        if branches:
            self.fields["branch"].choices = ([] if leader else [("", _("No branch"))]) + [
                (str(b.pk), b.name) for b in branches]
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
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), max_value=MAX_AMOUNT, max_digits=12,
                                decimal_places=2,
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
