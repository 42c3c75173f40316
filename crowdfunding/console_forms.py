"""Console forms for campaigns (众筹): the campaign and its reward tier rows, updates, shipping.

Forms only read input into strings and Python values; every rule (amounts, the deadline, frozen
terms, words that promise a return) lives in crowdfunding.services, whose ValidationFailed and
Conflict field keys ("goal", "tiers.2.amount") are placed next to the matching field or tier row.
Amounts and numbers are read as ASCII only here: Python's Decimal("１２") is 12, and a form that
accepts full-width digits would store a number the admin did not see.
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from communities.forms import BranchChoiceMixin
from crowdfunding.models import Campaign, RewardTier

AMOUNT = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?", re.ASCII)
WHOLE = re.compile(r"[0-9]{1,7}", re.ASCII)
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
STEP_ROWS = 4  # price steps a console tier row offers
MAX_TIER_ROWS = 20  # services.MAX_TIERS
DATE_INPUT = {"type": "date"}

# Campaign fields frozen once live (the service refuses changes; the form shows them disabled).
FROZEN_WHEN_LIVE = ("kind", "goal", "deadline", "funding_model", "branch")


def _no_nul(value: str) -> str:
    return (value or "").replace("\x00", "")


def _amount(value: str, *, required: bool = True):
    value = (value or "").strip()
    if not value and not required:
        return ""
    if not AMOUNT.fullmatch(value):
        raise forms.ValidationError(_("Enter an amount such as 12.50 (digits 0–9, at most two decimals)."),
                                    code="amount")
    return value


class CampaignForm(BranchChoiceMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Campaign.Kind.choices, initial=Campaign.Kind.REWARD,
                             widget=forms.RadioSelect)
    title = forms.CharField(label=_("Title"), max_length=120)
    story = forms.CharField(label=_("Story"), required=False, max_length=20000,
                            widget=forms.Textarea(attrs={"rows": 6}),
                            help_text=_("What the money is for, who makes it, when the rewards arrive."))
    goal = forms.CharField(label=_("Goal (¥)"), max_length=12,
                           widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "5000.00"}))
    deadline = forms.CharField(label=_("Deadline"), max_length=10, widget=forms.DateInput(attrs=DATE_INPUT),
                               help_text=_("A date: the campaign ends at the end of that day (23:59) in the "
                                           "community's timezone."))
    funding_model = forms.ChoiceField(
        label=_("Funding model"), choices=Campaign.FundingModel.choices,
        initial=Campaign.FundingModel.ALL_OR_NOTHING, widget=forms.RadioSelect,
        help_text=_("All or nothing: if the goal is not reached by the deadline, every backer is refunded. "
                    "Keep what you raise: the campaign keeps whatever was pledged, goal reached or not."))
    branch = forms.ChoiceField(label=_("Branch"), required=False,
                               help_text=_("Empty: the whole community sees the campaign."))
    cover = forms.FileField(label=_("Cover image"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
                            help_text=_("JPEG, PNG or WebP. Location and camera data are removed."))

    def __init__(self, *args, community, membership, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.offer_branches(community=community, membership=membership,
                            current=campaign.branch if campaign is not None and campaign.branch_id else None)
        self.frozen = ()
        if campaign is not None and campaign.status != Campaign.Status.DRAFT:
            self.frozen = tuple(name for name in FROZEN_WHEN_LIVE if name in self.fields)
            for name in self.frozen:
                self.fields[name].widget.attrs["disabled"] = True

    @staticmethod
    def initial_of(campaign: Campaign) -> dict:
        from crowdfunding.services import deadline_day

        return {"kind": campaign.kind, "title": campaign.title, "story": campaign.story,
                "goal": str(campaign.goal), "deadline": deadline_day(campaign).isoformat(),
                "funding_model": campaign.funding_model, "branch": str(campaign.branch_id or "")}

    def clean_title(self):
        return _no_nul(self.cleaned_data["title"]).strip()

    def clean_story(self):
        return _no_nul(self.cleaned_data["story"])

    def clean_goal(self):
        return _amount(self.cleaned_data["goal"])

    def clean_deadline(self):
        value = (self.cleaned_data["deadline"] or "").strip()
        if not DAY.fullmatch(value):
            raise forms.ValidationError(_("Enter a date such as 2026-12-31."), code="date")
        return value

    def values(self) -> dict:
        """The service's campaign fields: all of them for a new campaign, the changed ones when editing."""
        data = self.cleaned_data
        names = [n for n in ("kind", "title", "story", "goal", "deadline", "funding_model", "branch")
                 if n in self.fields]
        if self.campaign is not None:
            names = [n for n in names if n in self.changed_data]
        return {name: data[name] for name in names}


class TierForm(forms.Form):
    """One reward tier row: what the backer gets, for how much, how many, and price steps (阶梯价).
    An untouched row is skipped."""

    tier_id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    # Required, but an untouched extra row is skipped (formsets permit empty extra forms).
    title = forms.CharField(label=_("Reward"), max_length=80,
                            widget=forms.TextInput(attrs={"placeholder": _("e.g. A box of 6 mooncakes")}))
    amount = forms.CharField(label=_("Amount (¥)"), max_length=10,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 7}))
    description = forms.CharField(label=_("Description"), max_length=500, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    quantity_limit = forms.CharField(label=_("Limited quantity"), max_length=7, required=False,
                                     widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 5,
                                                                   "placeholder": _("no limit")}))
    estimated_delivery = forms.CharField(label=_("Estimated delivery"), max_length=10, required=False,
                                         widget=forms.DateInput(attrs=DATE_INPUT))
    fulfilment = forms.ChoiceField(label=_("Pickup or shipping"), choices=RewardTier.Fulfilment.choices,
                                   initial=RewardTier.Fulfilment.PICKUP, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(STEP_ROWS):
            self.fields[f"step_quantity_{n}"] = forms.CharField(
                label=_("From quantity"), required=False, max_length=7,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": _("from qty"), "size": 4}))
            self.fields[f"step_price_{n}"] = forms.CharField(
                label=_("Price"), required=False, max_length=10,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": _("price"), "size": 6}))
        self.backed = False

    def has_changed(self):
        # The fulfilment select always sends a value: a row with nothing typed in stays untouched.
        return any(name != "fulfilment" for name in self.changed_data)

    def freeze(self):
        """A live tier with backers: only its quantity may rise (the rest is shown disabled)."""
        self.backed = True
        for name, field in self.fields.items():
            if name not in ("tier_id", "quantity_limit", "DELETE"):
                field.widget.attrs["disabled"] = True

    def step_pairs(self):
        return [(self[f"step_quantity_{n}"], self[f"step_price_{n}"]) for n in range(STEP_ROWS)]

    def clean_title(self):
        return _no_nul(self.cleaned_data["title"]).strip()

    def clean_description(self):
        return _no_nul(self.cleaned_data["description"]).strip()

    def clean_amount(self):
        return _amount(self.cleaned_data["amount"])

    def clean_quantity_limit(self):
        value = (self.cleaned_data["quantity_limit"] or "").strip()
        if value and not WHOLE.fullmatch(value):
            raise forms.ValidationError(_("A whole number (digits 0–9), or empty for no limit."), code="number")
        return value

    def clean_estimated_delivery(self):
        value = (self.cleaned_data["estimated_delivery"] or "").strip()
        if value and not DAY.fullmatch(value):
            raise forms.ValidationError(_("Enter a date such as 2026-12-31."), code="date")
        return value

    def clean(self):
        data = super().clean()
        steps = []
        for n in range(STEP_ROWS):
            quantity = (data.get(f"step_quantity_{n}") or "").strip()
            price = (data.get(f"step_price_{n}") or "").strip()
            if not quantity and not price:
                continue
            if not WHOLE.fullmatch(quantity) or not AMOUNT.fullmatch(price):
                raise forms.ValidationError(
                    _("Each price step needs a quantity (from 2) and a price such as 16.50."), code="steps")
            steps.append((quantity, price))
        data["price_steps"] = steps
        data["fulfilment"] = data.get("fulfilment") or RewardTier.Fulfilment.PICKUP
        return data


class BaseTierFormSet(forms.BaseFormSet):
    def filled(self) -> list[tuple[int, dict]]:
        """(row index, cleaned data) of the rows filled in or kept, in screen order."""
        return [(index, form.cleaned_data) for index, form in enumerate(self.forms)
                if form.cleaned_data and (form.has_changed() or form.cleaned_data.get("tier_id"))
                and not form.cleaned_data.get("DELETE")]

    def specs(self) -> list:
        from crowdfunding.services import TierSpec

        return [TierSpec(title=row["title"], amount=row["amount"], description=row["description"],
                         quantity_limit=row["quantity_limit"] or None,
                         estimated_delivery=row["estimated_delivery"] or None, fulfilment=row["fulfilment"],
                         price_steps=row["price_steps"], id=row.get("tier_id"))
                for _index, row in self.filled()]


def tier_formset_class(extra: int):
    return forms.formset_factory(TierForm, formset=BaseTierFormSet, extra=max(0, min(extra, MAX_TIER_ROWS)),
                                 max_num=MAX_TIER_ROWS, absolute_max=MAX_TIER_ROWS, validate_max=True,
                                 can_delete=True, can_delete_extra=False)


def tier_initial(campaign: Campaign) -> list[dict]:
    rows = []
    for tier in campaign.tiers.prefetch_related("price_steps"):
        row = {"tier_id": tier.pk, "title": tier.title, "amount": str(tier.amount), "description": tier.description,
               "quantity_limit": str(tier.quantity_limit or ""),
               "estimated_delivery": tier.estimated_delivery.isoformat() if tier.estimated_delivery else "",
               "fulfilment": tier.fulfilment}
        for n, step in enumerate(list(tier.price_steps.all())[:STEP_ROWS]):
            row[f"step_quantity_{n}"], row[f"step_price_{n}"] = str(step.min_quantity), str(step.price)
        rows.append(row)
    return rows


class UpdateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Text"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("Every backer is notified."))

    def clean_title(self):
        return _no_nul(self.cleaned_data["title"]).strip()

    def clean_body(self):
        return _no_nul(self.cleaned_data["body"])
