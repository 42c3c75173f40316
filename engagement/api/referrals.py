"""REST API for referrals (邀请有礼): my invite link, the rule and the people I invited; the
console's referrals (filtered by status, for clients that sync by updated_since), their numbers and
top inviters, and the review of held ones (approve, reject).

Thin views over engagement.referrals: the member's rows are their own (referrer = the caller);
the console's are the community's (MANAGE_LOYALTY: admins; a leader gets 403), and a referral of
another community is a 404. Approving or rejecting one that is not held (a replay) is 409 not_held.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from communities.permissions import Perm
from core.api import error_responses as errors
from core.exceptions import NotFound
from core.filters import FILTER_BACKENDS, ChoiceFilter, OrderingFilter, SyncFilterSet
from core.inputs import parse_id
from crowdfunding.api.collection_serializers import PersonSerializer  # one "Person" in the schema
from engagement import referrals as services
from engagement.models import Referral
from engagement.referral_views import referral_rows
from orders.api.serializers import NamedChoiceField
from orders.api.views import JSONAPIView, _valid

TAG = "referrals"
TAG_CONSOLE = "referrals console"


# Shapes ------------------------------------------------------------------------------------------

class InviteLinkSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True, help_text=_lazy("The link to share: joining by it records me as the inviter"))
    qr_url = serializers.CharField(read_only=True, help_text=_lazy("A PNG QR code of the link"))


class RewardCouponSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ReferralRulesSerializer(serializers.Serializer):
    points = serializers.IntegerField(read_only=True, help_text=_lazy("Points the inviter earns per referral"))
    coupon = RewardCouponSerializer(read_only=True, allow_null=True,
                                    help_text=_lazy("The coupon the inviter gets too; null for none"))
    window_days = serializers.IntegerField(read_only=True,
                                           help_text=_lazy("Days after the first order's pickup without a refund "
                                                           "before the reward is paid"))
    weekly_cap = serializers.IntegerField(read_only=True, help_text=_lazy("Rewards per inviter per week at most"))


class ReferralSummarySerializer(serializers.Serializer):
    invited = serializers.IntegerField(read_only=True)
    rewarded = serializers.IntegerField(read_only=True)
    points = serializers.IntegerField(read_only=True, help_text=_lazy("Points earned by referrals"))


def _status_field():
    return NamedChoiceField(enum_name="ReferralStatusEnum", choices=Referral.Status.choices, read_only=True,
                            help_text=_lazy("joined → due (first order completed) → rewarded; held for review; "
                                            "rejected (see outcome)"))


class MyReferralSerializer(serializers.ModelSerializer):
    invitee = PersonSerializer(read_only=True)
    status = _status_field()
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    coupon = serializers.SerializerMethodField(help_text=_lazy("The coupon the reward included; null for none"))
    outcome = serializers.SerializerMethodField(
        help_text=_lazy("Why no reward (status rejected): self_referral, refunded, weekly_cap, rejected, "
                        "referrer_gone; empty otherwise"))
    outcome_display = serializers.SerializerMethodField(help_text=_lazy("The outcome in words"))

    class Meta:
        model = Referral
        fields = ["id", "invitee", "status", "status_display", "joined_at", "due_at", "points", "coupon", "outcome",
                  "outcome_display", "decided_at"]
        read_only_fields = fields

    @extend_schema_field(RewardCouponSerializer(allow_null=True))
    def get_coupon(self, referral):
        coupon = getattr(referral, "coupon", None)
        return {"id": coupon.pk, "name": coupon.name} if coupon else None

    def get_outcome(self, referral) -> str:
        return referral.outcome if referral.status == Referral.Status.REJECTED else ""

    def get_outcome_display(self, referral) -> str:
        return services.outcome_text(referral)


class MyReferralsSerializer(serializers.Serializer):
    invite = InviteLinkSerializer(read_only=True, allow_null=True,
                                  help_text=_lazy("None in an invite-only community for members who may not invite"))
    rules = ReferralRulesSerializer(read_only=True)
    summary = ReferralSummarySerializer(read_only=True)
    count = serializers.IntegerField(read_only=True, help_text=_lazy("People I invited"))
    next = serializers.CharField(read_only=True, allow_null=True)
    previous = serializers.CharField(read_only=True, allow_null=True)
    results = MyReferralSerializer(many=True, read_only=True, help_text=_lazy("Newest first, a page of them"))


class AdminReferralSerializer(MyReferralSerializer):
    referrer = PersonSerializer(read_only=True)
    reviewed_by = PersonSerializer(read_only=True, allow_null=True)
    order = serializers.IntegerField(source="order_id", read_only=True, allow_null=True,
                                     help_text=_lazy("The invitee's first completed order"))
    held_reasons = serializers.SerializerMethodField(
        help_text=_lazy("Codes: address_burst (many joins from one address in a short time), idle_invitees "
                        "(most of the inviter's earlier invitees never ordered)"))
    held_reasons_display = serializers.SerializerMethodField()

    class Meta(MyReferralSerializer.Meta):
        fields = ["id", "referrer", "invitee", "status", "status_display", "joined_at", "join_address", "order",
                  "due_at", "held_reasons", "held_reasons_display", "points", "coupon", "outcome", "outcome_display",
                  "reviewed_by", "decided_at", "created_at", "updated_at"]
        read_only_fields = fields

    def get_held_reasons(self, referral) -> list[str]:
        return [code for code in referral.held_reason.split(",") if code in services.HELD_REASONS]

    def get_held_reasons_display(self, referral) -> list[str]:
        return services.held_reasons(referral)


class ReferralNumbersSerializer(serializers.Serializer):
    invited = serializers.IntegerField(read_only=True)
    ordered = serializers.IntegerField(read_only=True, help_text=_lazy("Invitees whose first order completed"))
    rewarded = serializers.IntegerField(read_only=True)
    held = serializers.IntegerField(read_only=True, help_text=_lazy("Waiting for review"))
    points = serializers.IntegerField(read_only=True, help_text=_lazy("Points given for referrals"))


class TopReferrerSerializer(serializers.Serializer):
    referrer = serializers.SerializerMethodField()
    invited = serializers.IntegerField(read_only=True)
    ordered = serializers.IntegerField(read_only=True)
    rewarded = serializers.IntegerField(read_only=True)
    points = serializers.SerializerMethodField()

    @extend_schema_field(PersonSerializer)
    def get_referrer(self, row):
        return {"id": row["referrer_id"], "display_name": row["referrer__display_name"]}

    def get_points(self, row) -> int:
        return row["points"] or 0


class ReferralStatsSerializer(serializers.Serializer):
    numbers = ReferralNumbersSerializer(read_only=True)
    top_referrers = TopReferrerSerializer(many=True, read_only=True)
    rules = ReferralRulesSerializer(read_only=True)


class RejectSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=services.NOTE_MAX, default="",
                                 help_text=_lazy("Why (kept in the audit log)"))

    def validate_note(self, value):
        if "\x00" in value:
            raise serializers.ValidationError(_lazy("Remove the NUL characters."))
        return value


class ReferralFilter(SyncFilterSet):
    status = ChoiceFilter(choices=Referral.Status.choices)
    ordering = OrderingFilter(fields=(("joined_at", "joined_at"), ("updated_at", "updated_at")),
                              label=_lazy("joined_at or updated_at; a leading - reverses"))

    class Meta:
        model = Referral
        fields = []


def _rules(rules: dict) -> dict:
    coupon = rules["coupon"]
    return {**rules, "coupon": {"id": coupon.pk, "name": coupon.name} if coupon else None}


def _referral(view, pk) -> Referral:
    referral = services.referrals_for_console(view.community).filter(pk=parse_id(pk) or 0).first()
    if referral is None:
        raise NotFound()
    return referral


def _admin_answer(view, pk) -> Response:
    return Response(AdminReferralSerializer(referral_rows([_referral(view, pk)])[0]).data)


PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description=_lazy("A page number from 1 (or \"last\")")),
    OpenApiParameter("page_size", OpenApiTypes.INT, description=_lazy("1 to 200; 50 when not given")),
]


# Members -----------------------------------------------------------------------------------------

class MyReferralsView(JSONAPIView):
    """My invite link and its QR code, the rule, my numbers and a page of the people I invited."""

    permission = Perm.VIEW
    queryset = Referral.objects.none()

    @extend_schema(parameters=PAGE_PARAMETERS, responses={200: MyReferralsSerializer, **errors(400, 403, 404)},
                   tags=[TAG], summary=_lazy("My invites (邀请有礼)"),
                   description=_lazy("The first call makes my invite link when I have none. A friend joining by it "
                                     "is listed here; the reward is paid once their first order is picked up and "
                                     "its refund window has passed."))
    def get(self, request, slug):
        invite = services.my_invite(self.membership)
        page = self.paginate_queryset(services.my_referrals(self.membership))
        link = None if invite is None else {
            "code": invite.code, "url": request.build_absolute_uri(invite.get_absolute_url()),
            "qr_url": request.build_absolute_uri(reverse("communities:invite_qr", kwargs={"code": invite.code}))}
        data = {
            "invite": link,
            "rules": _rules(services.rules_of(self.community)), "summary": services.my_summary(self.membership),
        }
        response = self.get_paginated_response(MyReferralSerializer(referral_rows(page), many=True).data)
        response.data = {**MyReferralsSerializer(data).data, **response.data}
        return response


# Console -----------------------------------------------------------------------------------------

class AdminReferralListView(JSONAPIView):
    """The community's referrals, newest first; ?status=held for those waiting for review."""

    permission = Perm.MANAGE_LOYALTY
    filter_backends = FILTER_BACKENDS
    filterset_class = ReferralFilter
    queryset = Referral.objects.none()

    @extend_schema(responses={200: AdminReferralSerializer(many=True), **errors(400, 403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("Referrals in the console"))
    def get(self, request, slug):
        qs = self.filter_queryset(services.referrals_for_console(self.community).order_by("-joined_at", "-pk"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(AdminReferralSerializer(referral_rows(page), many=True).data)


class AdminReferralStatsView(JSONAPIView):
    permission = Perm.MANAGE_LOYALTY

    @extend_schema(responses={200: ReferralStatsSerializer, **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Referral numbers and top inviters"),
                   description=_lazy("Invited, ordered, rewarded, held and points given; the 10 inviters with "
                                     "the most rewarded referrals."))
    def get(self, request, slug):
        return Response(ReferralStatsSerializer({
            "numbers": services.console_numbers(self.community), "top_referrers": services.top_referrers(self.community),
            "rules": _rules(services.rules_of(self.community))}).data)


class AdminReferralApproveView(JSONAPIView):
    permission = Perm.MANAGE_LOYALTY

    @extend_schema(request=None, responses={200: AdminReferralSerializer, **errors(403, 404, 409)},
                   tags=[TAG_CONSOLE], summary=_lazy("Approve a held referral"),
                   description=_lazy("Paid at once when its refund window has passed (rechecked: a refund, the "
                                     "inviter's membership, the weekly limit may still refuse it), else paid when "
                                     "due. 409 not_held when it is not held (already decided)."))
    def post(self, request, slug, pk):
        services.referral_approve(actor=self.membership, referral=_referral(self, pk))
        return _admin_answer(self, pk)


class AdminReferralRejectView(JSONAPIView):
    permission = Perm.MANAGE_LOYALTY

    @extend_schema(request=RejectSerializer, responses={200: AdminReferralSerializer, **errors(400, 403, 404, 409)},
                   tags=[TAG_CONSOLE], summary=_lazy("Refuse a held referral"),
                   description=_lazy("No reward, ever. 409 not_held when it is not held (already decided)."))
    def post(self, request, slug, pk):
        data = _valid(RejectSerializer, request.data)
        services.referral_reject(actor=self.membership, referral=_referral(self, pk), note=data.get("note", ""))
        return _admin_answer(self, pk)
