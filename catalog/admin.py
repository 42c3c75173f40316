from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Product, ProductImage, Supplier


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "position"]
    search_fields = ["name", "community__name", "community__slug"]
    raw_id_fields = ["community"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "contact_name", "phone", "email"]
    search_fields = ["name", "contact_name", "phone", "email", "community__name", "community__slug"]
    raw_id_fields = ["community"]


class ProductImageInline(admin.TabularInline):
    # Photos are added in the console, where they are checked and stripped of EXIF.
    model = ProductImage
    fields = ["preview", "width", "height", "position"]
    readonly_fields = ["preview", "width", "height"]
    extra = 0
    max_num = 0

    @admin.display(description=_("photo"))
    def preview(self, image):
        return format_html('<img src="{}" width="64" height="64" style="object-fit:cover">', image.thumbnail.url) \
            if image.thumbnail else "—"


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = "__all__"

    def clean(self):
        data = super().clean()
        community = data.get("community") or getattr(self.instance, "community", None)
        for field in ("category", "supplier"):
            related = data.get(field)
            if related is not None and community is not None and related.community_id != community.pk:
                self.add_error(field, _("Choose one of this community's."))
        return data


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ["name", "community", "unit", "list_price", "stock", "category", "supplier", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "community__name", "community__slug"]
    list_select_related = ["community", "category", "supplier"]
    raw_id_fields = ["community", "category", "supplier", "created_by"]
    # Stock moves only through guarded updates (group-buys reserve from it); saving a whole row
    # here could write back a stale count, so it is changed in the console or the API.
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [ProductImageInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + ["community", "stock"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # Never write the stock column from here: a reservation made meanwhile would be undone.
        obj.save(update_fields=[f.attname for f in obj._meta.concrete_fields
                                if not f.primary_key and f.name not in ("stock", "community", "created_at")])
