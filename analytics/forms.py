"""The analytics dashboard's period picker (a GET form): 7/30/90 days, a month or custom dates, and
for owners and admins a branch. Its ``clean`` asks ``selectors.period_from`` for the period, so the
page and the API refuse the same input with the same messages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from analytics import selectors
from communities.models import Community
from core.exceptions import ValidationFailed

DEFAULT_PERIOD = "30d"


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=list(selectors.PERIOD_CHOICES.items()), required=False)
    month = forms.CharField(label=_("Month"), max_length=7, required=False,
                            widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}))
    start = forms.CharField(label=_("From"), max_length=10, required=False,
                            widget=forms.TextInput(attrs={"type": "date"}))
    end = forms.CharField(label=_("To"), max_length=10, required=False,
                          widget=forms.TextInput(attrs={"type": "date"}))
    branch = forms.ChoiceField(label=_("Branch"), required=False)

    def __init__(self, data, *, community: Community, branches=None, **kwargs):
        """``branches``: the community's branches the caller may pick ([] or None: no branch field)."""
        data = data.copy()
        if not data.get("period"):
            data["period"] = DEFAULT_PERIOD
        super().__init__(data, **kwargs)
        self.community = community
        self.branches = {str(branch.pk): branch for branch in branches or []}
        if self.branches:
            self.fields["branch"].choices = [("", _("All branches"))] + [
                (pk, branch.name) for pk, branch in self.branches.items()]
        else:
            del self.fields["branch"]

    def clean_month(self):
        # A month the selector would read as a bad *date* ("2026-13") gets the month's message here.
        text = self.cleaned_data.get("month") or ""
        if self.data.get("period") == "month":
            year, _dash, month = text.partition("-")
            if not (text.isascii() and len(text) == 7 and year.isdigit() and month.isdigit()
                    and 1 <= int(month) <= 12 and int(year) >= 1):
                raise forms.ValidationError(gettext("Enter a month such as 2026-11."), code="invalid_month")
        return text

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["span"] = selectors.period_from(
                self.community, period=cleaned.get("period") or DEFAULT_PERIOD, start=cleaned.get("start"),
                end=cleaned.get("end"), month=cleaned.get("month"))
        except ValidationFailed as error:
            for field, messages in (error.fields or {"period": [error.message]}).items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        cleaned["branch_obj"] = self.branches.get(cleaned.get("branch") or "")
        return cleaned
