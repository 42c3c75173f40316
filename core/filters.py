"""List filters with django-filter: one FilterSet per list, checked before the query runs.

A list view names its ``filterset_class`` and calls ``self.filter_queryset(queryset)``; a value
that is not valid answers 400 in the API's error shape, naming the parameter (DjangoFilterBackend
raises a ValidationError, rendered by core.api's handler), and the OpenAPI schema lists every
parameter with its type. Lists a client syncs take ``updated_since`` and ``ordering``.
"""

from __future__ import annotations

import datetime
from functools import reduce
from operator import or_

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension

from core.inputs import MAX_ID, parse_id
from core.models import Notification

FILTER_BACKENDS = [DjangoFilterBackend]


class IdField(forms.CharField):
    """An id: ASCII digits within the bigint range ("٣", "²" and 2**70 are errors, not a database error)."""

    invalid_message = _("Give an id.")

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        number = parse_id(value)
        if number is None:
            raise forms.ValidationError(self.invalid_message, code="invalid")
        return number


class IdOrNoneField(IdField):
    """An id (ASCII digits, within the bigint range) or "none"."""

    invalid_message = _('Give an id or "none".')
    max_digits = 19  # as the schema tells

    def clean(self, value):
        if isinstance(value, str) and value.strip() == "none":
            return "none"
        return super().clean(value)


class IdFilter(django_filters.Filter):
    """``?group_buy=12``: rows pointing at that one (``field_name`` may cross relations)."""

    field_class = IdField


class IdOrNoneFilter(django_filters.Filter):
    """``?category=12`` rows of that one; ``?category=none`` rows without one."""

    field_class = IdOrNoneField

    def filter(self, qs, value):
        if value is None:
            return qs
        if value == "none":
            return qs.filter(**{f"{self.field_name}__isnull": True})
        return qs.filter(**{f"{self.field_name}_id": value})


class StrictBooleanField(forms.CharField):
    """true/false (or 1/0); anything else is an error, not "no filter"."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def clean(self, value):
        value = (super().clean(value) or "").strip().lower()
        if not value:
            return None
        if value not in self.VALUES:
            raise forms.ValidationError(_("Give true or false."), code="invalid")
        return self.VALUES[value]


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class AsciiDecimalField(forms.DecimalField):
    """A decimal in ASCII digits: Python's Decimal would read "٣" as 3."""

    def to_python(self, value):
        if isinstance(value, str) and not value.strip().isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class DecimalFilter(django_filters.NumberFilter):
    field_class = AsciiDecimalField


class SlugFilter(django_filters.CharFilter):
    field_class = forms.SlugField


class ChoiceFilter(django_filters.ChoiceFilter):
    """One of ``choices``; without one, rows of the ``default`` choice (None: every row)."""

    def __init__(self, *args, default=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default

    def filter(self, qs, value):
        return super().filter(qs, value or self.default)


class SearchFilter(django_filters.CharFilter):
    """Rows matching the text (trimmed) by any of ``lookups`` ("name__icontains", ...); blank: every row."""

    def __init__(self, *args, lookups: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.lookups = lookups

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(reduce(or_, (Q(**{lookup: value}) for lookup in self.lookups)))


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, read in UTC: PostgreSQL refuses offsets beyond ±15:59 ("+18:13"), which
    Python accepts; an instant outside Python's years is not valid either."""

    def to_python(self, value):
        if isinstance(value, str) and not value.isascii():  # "٢٠٢٦-01-01" would read as 2026
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(datetime.timezone.utc)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class OrderingFilter(django_filters.OrderingFilter):
    """django-filter's, with the primary key as a tie-breaker so pages never repeat or skip a row."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        return qs.order_by(*ordering, "-pk" if ordering[-1].startswith("-") else "pk")


class BoundedFilterExtension(DjangoFilterExtension):
    """django-filter's parameters in the OpenAPI schema, with the bounds these filters check: an id's
    range, a text's length, a slug's or a decimal's form (django-filter's own extension leaves them out)."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        for parameter in parameters:
            parameter["schema"] = _bounded_schema(filter_field, parameter["schema"])
        return parameters


def _bounded_schema(filter_field, schema: dict) -> dict:
    field_class = filter_field.field_class
    if issubclass(field_class, IdOrNoneField):
        return {"type": "string", "pattern": f"^(none|[0-9]{{1,{field_class.max_digits}}})$"}
    if issubclass(field_class, IdField):
        return {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
    if issubclass(field_class, AsciiDecimalField):
        places = filter_field.extra.get("decimal_places", 2)
        digits = filter_field.extra.get("max_digits", 12) - places
        return {"type": "string", "format": "decimal", "pattern": rf"^\d{{1,{digits}}}(?:\.\d{{0,{places}}})?$"}
    schema = {key: value for key, value in schema.items() if key not in ("title", "nullable")}
    if issubclass(field_class, forms.SlugField):
        schema["pattern"] = "^[-a-zA-Z0-9_]+$"
    if getattr(filter_field, "default", None) is not None:
        schema["default"] = filter_field.default
    if schema.get("type") == "string" and filter_field.extra.get("max_length"):
        schema["maxLength"] = filter_field.extra["max_length"]
    return schema


class SyncFilterSet(django_filters.FilterSet):
    """``updated_since``: rows changed at or after that time (a client keeping a copy asks for what
    changed since its last sync, with ``ordering=updated_at``)."""

    updated_since = DateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        label=_("Only rows changed at or after this time (ISO 8601), for clients that sync"))


class InboxFilter(django_filters.FilterSet):
    """A user's own notifications (core.api_inbox). A notice changes when it is read: ``updated_since``
    finds those created or read since."""

    unread = BooleanFilter(field_name="read_at", lookup_expr="isnull",
                           label=_("true: unread only; false: read only; absent: all"))
    community = SlugFilter(field_name="community__slug", max_length=60,
                           label=_("A community's slug: only notices about it"))
    since = DateTimeFilter(field_name="created_at", lookup_expr="gte",
                                             label=_("Only notices created at or after this"))
    updated_since = DateTimeFilter(
        method="changed_since", label=_("Only notices created or marked read at or after this (to sync)"))

    class Meta:
        model = Notification
        fields = []

    def changed_since(self, queryset, name, value):
        return queryset.filter(Q(created_at__gte=value) | Q(read_at__gte=value))
