"""The communities lists' filters (core.filters: django-filter, 400 on a bad value)."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from communities import selectors
from communities.models import JoinRequest, Membership, Role
from core.filters import ChoiceFilter, DateTimeFilter, IdFilter, IdOrNoneField, IdOrNoneFilter, OrderingFilter, SyncFilterSet
from core.inputs import parse_id
from core.models import AuditLog


class BranchField(IdOrNoneField):
    """As the console's member filter reads it: ASCII digits that no branch can have (0, 10**19)
    match nothing, as an unknown id does; anything else that is not an id or "none" is an error."""

    max_digits = 20

    def clean(self, value):
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,20}", value) and parse_id(value) is None:
            return 0
        return super().clean(value)


class BranchFilter(IdOrNoneFilter):
    field_class = BranchField


class MemberFilter(SyncFilterSet):
    q = django_filters.CharFilter(method="search", max_length=100,
                                  label=_("Part of a name, phone number or e-mail address"))
    role = django_filters.ChoiceFilter(choices=Role.choices)
    status = django_filters.ChoiceFilter(choices=Membership.Status.choices,
                                         label=_("Default: everyone who has not left"))
    branch = BranchFilter(field_name="branch", label=_('A branch id, or "none" for members without a branch'))
    invited_by = IdFilter(field_name="invited_by_id", label=_("A user id"))
    ordering = OrderingFilter(fields=(("joined_at", "joined_at"), ("updated_at", "updated_at")),
                              label=_("joined_at or updated_at; a leading - reverses (default: newest first)"))

    class Meta:
        model = Membership
        fields = []

    def search(self, queryset, name, value):
        return selectors.member_search(queryset, value)

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.exclude(status=Membership.Status.LEFT)
        return super().filter_queryset(queryset)


class JoinRequestFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=JoinRequest.Status.choices, default=JoinRequest.Status.PENDING)

    class Meta:
        model = JoinRequest
        fields = []


class AuditFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            self.add_error("until", _("Choose a time after “since”."))
        return data


class AuditFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(method="by_action", max_length=64, label=_(
        'An action code, e.g. "membership.banned", or a prefix ending in "." ("membership.")'))
    actor = IdFilter(field_name="actor_id", label=_("A user id"))
    since = DateTimeFilter(field_name="created_at", lookup_expr="gte",
                                             label=_("From this instant on (inclusive)"))
    until = DateTimeFilter(field_name="created_at", lookup_expr="lt", label=_("Before this instant"))

    class Meta:
        model = AuditLog
        fields = []
        form = AuditFilterForm

    def by_action(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(action__startswith=value) if value.endswith(".") else queryset.filter(action=value)
