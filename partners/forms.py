"""Forms of the partner console and of the community console's partner pages. They check shapes and
lengths; the services (partners.services) decide the rest."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partners.models import EventType, Scope


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("Shop name"), max_length=80)
    contact_email = forms.EmailField(label=_("Contact e-mail"), max_length=254, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)
    description = forms.CharField(label=_("About the shop"), max_length=1000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class ConnectForm(forms.Form):
    community = forms.SlugField(label=_("Community's short name"), max_length=60,
                                help_text=_("The part of the community's address after the site's name, "
                                            "e.g. sunny-garden."))
    message = forms.CharField(label=_("Message to its admins"), max_length=300, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class StaffAddForm(forms.Form):
    login = forms.CharField(label=_("Phone number or e-mail"), max_length=254,
                            help_text=_("The person must have an account already."))


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("What uses it, e.g. \"ERP\"."))
    scopes = forms.MultipleChoiceField(label=_("Scopes"), choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple,
                                       help_text=_("A write scope includes the read scope of the same thing."))
    communities = forms.TypedMultipleChoiceField(label=_("Only these communities"), coerce=int, required=False,
                                                 widget=forms.CheckboxSelectMultiple,
                                                 help_text=_("None ticked: every community you are connected to."))
    expires_on = forms.DateField(label=_("Expires on"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_("Leave empty for a key that does not expire."))

    def __init__(self, *args, communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["communities"].choices = [(c.pk, c.name) for c in communities]

    def clean_expires_on(self):
        raw = self.data.get(self.add_prefix("expires_on"), "")
        if isinstance(raw, str) and not raw.isascii():  # "٢٠٣٠-01-01" parses, but is not what people type
            raise forms.ValidationError(_("Enter a valid date."), code="invalid")
        return self.cleaned_data.get("expires_on")

    def expires_at(self):
        """The end of the chosen day (the current timezone), or None."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        try:
            return timezone.make_aware(datetime.combine(day, time.min)) + timedelta(days=1)
        except (OverflowError, ValueError):
            return timezone.now() + timedelta(days=365 * 100)  # far future: the service refuses it


class EndpointForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500,
                          widget=forms.URLInput(attrs={"placeholder": "https://erp.example.com/shequn/webhooks"}))
    description = forms.CharField(label=_("Description"), max_length=120, required=False)
    events = forms.MultipleChoiceField(label=pgettext_lazy("webhook", "Events"), choices=EventType.choices,
                                       widget=forms.CheckboxSelectMultiple)


class InviteSearchForm(forms.Form):
    q = forms.CharField(label=_("Partner shop's name"), max_length=80, required=False)
