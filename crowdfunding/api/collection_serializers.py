"""Shapes of the split-bill collections API. Input serializers check types only (amounts arrive as
text and crowdfunding.collections reads them: ASCII digits, two decimals, more than zero); output
serializers render. Money is a string with two decimals."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api import IdField
from crowdfunding import collections as services
from crowdfunding.models import Collection, CollectionShare
from orders.api.serializers import NamedChoiceField  # one named enum per choice set in the schema


class CollectionCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=services.TITLE_MAX)
    description = serializers.CharField(max_length=services.DESCRIPTION_MAX, required=False, allow_blank=True,
                                        default="")
    split = NamedChoiceField(enum_name="CollectionSplitEnum", choices=Collection.Split.choices)
    total = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                  help_text=_('For split "even": the total, e.g. "100.00" (at least 0.01 a share)'))
    per_head = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                     help_text=_('For split "per_head": what each participant pays, e.g. "35.00"'))
    participant_ids = serializers.ListField(
        child=IdField(), max_length=1000,
        help_text=_("User ids of active members of this community (at most 200, each once; the organizer may "
                    "include themself)"))


class SharePayInputSerializer(serializers.Serializer):
    method = NamedChoiceField(enum_name="SharePayMethodEnum", choices=[("wallet", _("From my wallet")),
                                              ("transfer", _("By transfer, confirmed by the organizer"))])
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="",
                                      help_text=_("For a transfer: its note or last digits"))


class CloseInputSerializer(serializers.Serializer):
    outcome = NamedChoiceField(enum_name="CollectionOutcomeEnum", choices=Collection.Outcome.choices,
                               default=Collection.Outcome.KEPT)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text=_("A user id"))
    display_name = serializers.CharField(read_only=True)


def _money(**kwargs):
    return serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, **kwargs)


class CollectionSerializer(serializers.ModelSerializer):
    organizer = PersonSerializer(read_only=True)
    total = _money()
    per_head = _money(allow_null=True)
    share_count = serializers.IntegerField(read_only=True)
    paid_count = serializers.IntegerField(read_only=True)
    collected = _money(help_text=_("What the paid shares add up to"))
    split = NamedChoiceField(enum_name="CollectionSplitEnum", choices=Collection.Split.choices, read_only=True)
    status = NamedChoiceField(enum_name="CollectionStatusEnum", choices=Collection.Status.choices, read_only=True)
    outcome = NamedChoiceField(enum_name="CollectionOutcomeEnum", choices=Collection.Outcome.choices, read_only=True,
                               allow_blank=True, help_text=_('Once closed early: "kept" or "refunded"; "" otherwise'))

    class Meta:
        model = Collection
        fields = ["id", "title", "description", "split", "total", "per_head", "currency", "status", "outcome",
                  "organizer", "share_count", "paid_count", "collected", "created_at", "closed_at", "reminded_at"]
        read_only_fields = fields


class ShareSerializer(serializers.ModelSerializer):
    participant = PersonSerializer(read_only=True)
    paid_by = PersonSerializer(read_only=True, allow_null=True)
    amount = _money()
    status = NamedChoiceField(enum_name="ShareStatusEnum", choices=CollectionShare.Status.choices, read_only=True)
    transfer_reported = serializers.SerializerMethodField(
        help_text=_("A transfer was reported for this share and waits for the organizer"))

    class Meta:
        model = CollectionShare
        fields = ["id", "participant", "amount", "status", "paid_by", "paid_at", "transfer_reported"]
        read_only_fields = fields

    def get_transfer_reported(self, share) -> bool:
        return any(p.method == "manual" and p.status == "pending" for p in share.charge.payments.all())


class CollectionDetailSerializer(CollectionSerializer):
    shares = ShareSerializer(many=True, read_only=True)

    class Meta(CollectionSerializer.Meta):
        fields = CollectionSerializer.Meta.fields + ["shares"]
        read_only_fields = fields


class RemindResultSerializer(serializers.Serializer):
    reminded = serializers.IntegerField(read_only=True, help_text=_("How many participants were reminded"))
