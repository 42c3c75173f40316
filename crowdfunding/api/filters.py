"""The campaigns lists' filters (core.filters: django-filter, 400 on a bad value).

Each view starts from the rows the caller may see (a member: campaigns aimed at them and their own
pledges; a leader: campaigns in view, pledges of their branch) and only then filters: a filter
narrows what the caller sees, it never widens it.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import BooleanFilter, IdFilter, OrderingFilter, SyncFilterSet
from crowdfunding.models import Campaign, Pledge

ORDERING_HELP = _("created_at or updated_at; a leading - reverses (default: newest first)")


class CampaignFilter(SyncFilterSet):
    """Campaigns a member sees (live and finished), or the console's (drafts too)."""

    status = django_filters.ChoiceFilter(choices=Campaign.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Campaign.Kind.choices)
    ordering = OrderingFilter(fields=(("created_at", "created_at"), ("updated_at", "updated_at"),
                                      ("deadline", "deadline")),
                              label=_("created_at, updated_at or deadline; a leading - reverses "
                                      "(default: newest first)"))

    class Meta:
        model = Campaign
        fields = []


class PledgeFilter(SyncFilterSet):
    """A member's own pledges."""

    status = django_filters.ChoiceFilter(choices=Pledge.Status.choices)
    campaign = IdFilter(field_name="campaign_id", label=_("A campaign id"))
    ordering = OrderingFilter(fields=(("created_at", "created_at"), ("updated_at", "updated_at")),
                              label=ORDERING_HELP)

    class Meta:
        model = Pledge
        fields = []


class AdminPledgeFilter(SyncFilterSet):
    """A campaign's pledges in the console (the view annotates ``transfer_reported``)."""

    status = django_filters.ChoiceFilter(choices=Pledge.Status.choices)
    tier = IdFilter(field_name="tier_id", label=_("A reward tier id"))
    pickup_point = IdFilter(field_name="pickup_point_id", label=_("A pickup point id"))
    transfer_reported = BooleanFilter(field_name="transfer_reported", label=_(
        "true: a transfer was reported and waits for confirmation; false: none waits"))
    ordering = OrderingFilter(fields=(("created_at", "created_at"), ("updated_at", "updated_at"),
                                      ("amount", "amount")),
                              label=_("created_at, updated_at or amount; a leading - reverses "
                                      "(default: newest first)"))

    class Meta:
        model = Pledge
        fields = []
