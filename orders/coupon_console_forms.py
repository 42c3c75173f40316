"""The console's coupon form: every argument of ``orders.coupons.coupon_save``.

Forms only read input into Python values: digits 0-9 only ("１２" and "٣" are refused, not read as
12 and 3), no NUL, each number within its column, times as local date-times in the community's
timezone (the console activates it). The rules (amount or percent, the window, the limits, the
code being free) are the service's; its ValidationFailed field keys land next to the fields.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import MAX_AMOUNT
from orders.coupons import MAX_LIMIT, MAX_PRODUCTS
from orders.models import Coupon, GroupBuy

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
MIN_YEAR, MAX_YEAR = 2000, 2100
# Rounds a coupon can still be limited to (plus the coupon's own, whatever became of it).
OPEN_ROUND_STATUSES = (GroupBuy.Status.DRAFT, GroupBuy.Status.SCHEDULED, GroupBuy.Status.OPEN)
MAX_ROUND_CHOICES = 200
MAX_PRODUCT_CHOICES = 1000


class AsciiIntegerField(forms.IntegerField):
    """A whole number typed with the digits 0-9 only (Django's would read "１２" as 12)."""

    def to_python(self, value):
        text = "" if value is None else str(value).strip()
        if text and not re.fullmatch(r"[0-9]{1,9}", text):
            if re.fullmatch(r"[0-9]{10,}", text):
                raise forms.ValidationError(_("This number is too large."), code="max_value")
            raise forms.ValidationError(_("Type a whole number with the digits 0 to 9."), code="digits")
        return super().to_python(text)


class AsciiMoneyField(forms.DecimalField):
    """An amount typed with the digits 0-9 and at most two decimals ("１２", "1e3" and "NaN" are refused)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_value", MAX_AMOUNT)
        super().__init__(**kwargs)

    def to_python(self, value):
        text = "" if value is None else str(value).strip()
        if text and not re.fullmatch(r"[0-9]{1,10}(\.[0-9]{0,2})?", text):
            if re.fullmatch(r"[0-9]{11,}(\.[0-9]*)?", text):
                raise forms.ValidationError(_("This amount is too large."), code="max_value")
            raise forms.ValidationError(_("Type an amount such as 12.50 with the digits 0 to 9."), code="digits")
        return super().to_python(text)


class LocalDateTimeField(forms.DateTimeField):
    """A local date and time in ASCII digits, in a plausible year (strptime would read "٢٠٢٦")."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)

    def to_python(self, value):
        if isinstance(value, str) and (not value.isascii() or "\x00" in value or len(value) > 32):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        result = super().to_python(value)
        if result is not None and not MIN_YEAR <= timezone.localtime(result).year <= MAX_YEAR:
            raise forms.ValidationError(_("Choose a date between %(min)s and %(max)s.") % {
                "min": MIN_YEAR, "max": MAX_YEAR}, code="year")
        return result


class CouponForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20,
                           help_text=_("What members type at checkout: 3 to 20 letters A-Z, digits, '-' or '_'. "
                                       "Case does not matter."),
                           widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}))
    name = forms.CharField(label=_("Name"), max_length=60,
                           help_text=_("Members see it on their coupons, e.g. “Welcome gift”."))
    kind = forms.ChoiceField(label=_("Discount"), choices=Coupon.Kind.choices, initial=Coupon.Kind.AMOUNT,
                             widget=forms.RadioSelect)
    amount_off = AsciiMoneyField(label=_("Amount off (¥)"), required=False, min_value=Decimal("0.01"),
                                 help_text=_("Amount off only."))
    percent_off = AsciiIntegerField(label=_("Percent off (%)"), required=False, min_value=1, max_value=100,
                                    help_text=_("Percent off only: 1 to 100."))
    min_spend = AsciiMoneyField(label=_("Minimum spend (¥)"), required=False, min_value=Decimal("0"),
                                initial=Decimal("0"),
                                help_text=_("On the eligible products, before delivery. 0: no minimum."))
    starts_at = LocalDateTimeField(label=_("Valid from"))
    ends_at = LocalDateTimeField(label=_("Valid until"))
    total_limit = AsciiIntegerField(label=_("Total uses"), required=False, min_value=1, max_value=MAX_LIMIT,
                                    help_text=_("Orders that may use it in all; empty: no limit. Cancelled "
                                                "orders give their use back."))
    per_member_limit = AsciiIntegerField(label=_("Uses per member"), min_value=1, max_value=100, initial=1,
                                         help_text=_("Public codes only; a handed-out coupon is one use per "
                                                     "coupon handed."))
    handed_out_only = forms.BooleanField(label=_("Only for members it is handed to"), required=False,
                                         help_text=_("Members cannot type the code unless they were handed "
                                                     "the coupon (a batch, a reward)."))
    new_members_only = forms.BooleanField(label=_("Only for a member's first order"), required=False)
    group_buy = forms.TypedChoiceField(label=_("Only in this group-buy"), required=False, coerce=int,
                                       empty_value=None)
    products = forms.TypedMultipleChoiceField(label=_("Only on these products"), required=False, coerce=int,
                                              help_text=_("None chosen: every product. Hold Ctrl (⌘ on a Mac) "
                                                          "to choose several."),
                                              widget=forms.SelectMultiple(attrs={"size": 8}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True,
                                   help_text=_("Unticked: nobody can use it, and it cannot be handed out."))

    def __init__(self, *args, community, coupon: Coupon | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        rounds = community.group_buys.filter(status__in=OPEN_ROUND_STATUSES)
        if coupon is not None and coupon.group_buy_id:
            rounds = rounds | community.group_buys.filter(pk=coupon.group_buy_id)
        rounds = rounds.only("id", "title", "status").order_by("-opens_at", "-id")[:MAX_ROUND_CHOICES]
        self.fields["group_buy"].choices = [("", _("Any group-buy"))] + [
            (str(g.pk), f"{g.title} · {g.get_status_display()}") for g in rounds]
        products = community.products.filter(is_active=True)
        if coupon is not None:
            products = products | community.products.filter(coupons=coupon)
        products = products.distinct().only("id", "name", "unit").order_by("name", "id")[:MAX_PRODUCT_CHOICES]
        self.fields["products"].choices = [(str(p.pk), f"{p.name} ({p.unit})") for p in products]

    @staticmethod
    def initial_of(coupon: Coupon) -> dict:
        def local(value):
            return timezone.localtime(value).strftime(DATETIME_FORMAT)

        return {"code": coupon.code, "name": coupon.name, "kind": coupon.kind, "amount_off": coupon.amount_off,
                "percent_off": coupon.percent_off, "min_spend": coupon.min_spend,
                "starts_at": local(coupon.starts_at), "ends_at": local(coupon.ends_at),
                "total_limit": coupon.total_limit, "per_member_limit": coupon.per_member_limit,
                "handed_out_only": coupon.handed_out_only, "new_members_only": coupon.new_members_only,
                "group_buy": str(coupon.group_buy_id or ""),
                "products": [str(pk) for pk in coupon.products.values_list("pk", flat=True)],
                "is_active": coupon.is_active}

    def clean_products(self):
        products = self.cleaned_data["products"]
        if len(products) > MAX_PRODUCTS:
            raise forms.ValidationError(_("At most %(max)s products.") % {"max": MAX_PRODUCTS}, code="max")
        return products

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Coupon.Kind.AMOUNT and data.get("amount_off") is None and "amount_off" not in self.errors:
            self.add_error("amount_off", _("Enter the amount off."))
        if kind == Coupon.Kind.PERCENT and data.get("percent_off") is None and "percent_off" not in self.errors:
            self.add_error("percent_off", _("Enter the percent off."))
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The coupon must end after it starts."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        amount = data["kind"] == Coupon.Kind.AMOUNT
        return {"code": data["code"], "name": data["name"], "kind": data["kind"],
                "amount_off": data["amount_off"] if amount else None,
                "percent_off": None if amount else data["percent_off"],
                "min_spend": data["min_spend"] if data["min_spend"] is not None else Decimal("0"),
                "starts_at": data["starts_at"], "ends_at": data["ends_at"], "total_limit": data["total_limit"],
                "per_member_limit": data["per_member_limit"], "handed_out_only": data["handed_out_only"],
                "new_members_only": data["new_members_only"], "group_buy_id": data["group_buy"],
                "product_ids": list(data["products"]), "is_active": data["is_active"]}
