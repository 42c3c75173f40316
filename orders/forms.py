from django import forms
from django.utils.translation import gettext_lazy as _


class OrderForm(forms.Form):
    """Quantities come as qty_<item id>; the form token is the idempotency key of the submission."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=100)
    fulfilment = forms.ChoiceField(choices=[("pickup", _("Pickup")), ("delivery", _("Delivery"))], initial="pickup",
                                   widget=forms.RadioSelect)
    pickup_point = forms.IntegerField(required=False)
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=300, required=False)
    note = forms.CharField(label=_("Note for the leader"), max_length=200, required=False)
    team = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)
    team_action = forms.ChoiceField(required=False, choices=[("", ""), ("open", "open"), ("join", "join")])

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"qty_{item.pk}"] = forms.IntegerField(min_value=0, max_value=9999, required=False, initial=0)

    def chosen_lines(self):
        return [(item.pk, self.cleaned_data.get(f"qty_{item.pk}") or 0) for item in self.items
                if self.cleaned_data.get(f"qty_{item.pk}")]


class TransferForm(forms.Form):
    reference = forms.CharField(label=_("Transfer note or last digits"), max_length=100, required=False)
