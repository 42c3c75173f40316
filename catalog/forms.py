"""Console forms: they check types and offer the community's own categories and suppliers.

The rules (price not negative, stock not below zero, names unique...) are catalog.services';
their errors come back onto these forms through core.forms.add_domain_error.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Supplier


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    unit = forms.CharField(label=_("Unit"), max_length=16, help_text=_("斤, 盒, 件, kg..."),
                           widget=forms.TextInput(attrs={"list": "unit-suggestions"}))
    list_price = forms.DecimalField(label=_("List price"), max_digits=12, decimal_places=2,
                                    widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    # The hidden initial value tells the view whether the stock field was edited: an untouched
    # field is not sent to the service, so it cannot undo a reservation made meanwhile.
    stock = forms.IntegerField(label=_("Stock"), required=False, show_hidden_initial=True,
                               help_text=_("Units available. Leave empty for unlimited."))
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False,
                                      empty_label=_("No category"))
    supplier = forms.ModelChoiceField(label=_("Supplier"), queryset=Supplier.objects.none(), required=False,
                                      empty_label=_("No supplier"))
    consumption_cycle_days = forms.IntegerField(
        label=_("Consumption cycle (days)"), required=False,
        help_text=_("How many days one unit lasts a household; members get a repurchase reminder when it runs out."))
    is_active = forms.BooleanField(label=_("On sale"), required=False, initial=True)

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = community.categories.order_by("position", "name")
        self.fields["supplier"].queryset = community.suppliers.order_by("name")
        self.fields["list_price"].help_text = _("Per unit, in %(currency)s.") % {"currency": community.currency}

    def service_fields(self, *, editing: bool) -> dict:
        data = dict(self.cleaned_data)
        if editing and "stock" not in self.changed_data:
            data.pop("stock")
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


# The browser makes each photo smaller before sending it (static/js/photo-compress.js): this long
# side, as JPEG at this quality, turns a 12 MB phone photo into a few hundred KB.
COMPRESS_MAX_SIDE = 1600
COMPRESS_QUALITY = 0.8


class ProductImagesForm(forms.Form):
    images = MultipleFileField(
        label=_("Add photos"),
        help_text=_("JPEG, PNG or WebP; at most 9 photos per product. Photos are made smaller in your browser "
                    "before they are sent (1600 px on the long side); each may be at most 5 MB as it arrives."),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp",
                                        "data-compress-max-side": COMPRESS_MAX_SIDE,
                                        "data-compress-quality": COMPRESS_QUALITY}))

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["images"].required = required
        if not required:
            self.fields["images"].label = _("Photos")


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Category name"), max_length=60)
    position = forms.IntegerField(label=_("Position"), required=False, min_value=0,
                                  help_text=_("Lower numbers are listed first."))


class SupplierForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    contact_name = forms.CharField(label=_("Contact"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
