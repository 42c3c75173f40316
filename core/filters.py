"""List filters with django-filter: one FilterSet per list, checked before the query runs.

A list view names its ``filterset_class`` and calls ``self.filter_queryset(queryset)``; a value
that is not valid answers 400 in the API's error shape, naming the parameter (DjangoFilterBackend
raises a ValidationError, rendered by core.api's handler), and the OpenAPI schema lists every
parameter with its type. Lists a client syncs take ``updated_since`` and ``ordering``.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend

from core.inputs import parse_id

FILTER_BACKENDS = [DjangoFilterBackend]


class IdOrNoneField(forms.CharField):
    """An id (ASCII digits, within the bigint range) or "none"."""

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        if value == "none":
            return value
        number = parse_id(value)
        if number is None:
            raise forms.ValidationError(_('Give an id or "none".'), code="invalid")
        return number


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


class SyncFilterSet(django_filters.FilterSet):
    """``updated_since``: rows changed at or after that time (a client keeping a copy asks for what
    changed since its last sync, with ``ordering=updated_at``)."""

    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        label=_("Only rows changed at or after this time (ISO 8601), for clients that sync"))
