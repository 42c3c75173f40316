"""Shapes of the communities API: input serializers check types only, output serializers render.

Business rules (who may do what, limits, states) live in communities.services; a serializer here
never decides anything beyond "is this a well-formed value". Lookups of related rows (a branch
id) are scoped to the current community, passed in the serializer's context.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from communities.forms import BranchForm, CommunitySettingsForm
from communities.models import Community, Invite, JoinRequest, Membership, Role
from core.api import InstantField
from core.inputs import parse_id
from core.models import AuditLog

INVITE_STATES = [("valid", _("Valid")), ("revoked", _("Revoked")), ("expired", _("Expired")),
                 ("used_up", _("Used up"))]


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


# Small references ----------------------------------------------------------------------------

class CommunityUserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(read_only=True)


class CommunityContactSerializer(CommunityUserSerializer):
    phone = serializers.CharField(read_only=True, allow_null=True)
    email = serializers.EmailField(read_only=True, allow_null=True)


class BranchRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class BranchSerializer(BranchRefSerializer):
    leader = CommunityUserSerializer(read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)


class AdminBranchSerializer(BranchSerializer):
    retired_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                           help_text=_("Set once retired: nobody belongs to it any more"))


# Communities ---------------------------------------------------------------------------------

class MyCommunitySerializer(serializers.ModelSerializer):
    """One of my communities, rendered from my membership (selectors.my_communities)."""

    slug = serializers.CharField(source="community.slug", read_only=True)
    name = serializers.CharField(source="community.name", read_only=True)
    kind = serializers.ChoiceField(source="community.kind", choices=Community.Kind.choices, read_only=True)
    purpose = serializers.CharField(source="community.purpose", read_only=True)
    join_policy = serializers.ChoiceField(source="community.join_policy", choices=Community.JoinPolicy.choices,
                                          read_only=True)
    cover_url = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=Role.choices, read_only=True, help_text=_("My role"))
    branch = BranchRefSerializer(read_only=True, allow_null=True, help_text=_("My branch"))
    member_count = serializers.IntegerField(read_only=True, help_text=_("Active members"))

    class Meta:
        model = Membership
        fields = ["slug", "name", "kind", "purpose", "join_policy", "cover_url", "role", "branch",
                  "member_count", "joined_at"]
        read_only_fields = fields

    def get_cover_url(self, membership) -> str | None:
        cover = membership.community.cover
        return _absolute(self.context.get("request"), cover.url) if cover else None


class CommunityDetailSerializer(MyCommunitySerializer):
    """A community as its members see it, with its branches and my place in it."""

    description = serializers.CharField(source="community.description", read_only=True)
    rules = serializers.CharField(source="community.rules", read_only=True)
    timezone = serializers.CharField(source="community.timezone", read_only=True)
    currency = serializers.CharField(source="community.currency", read_only=True)
    branches = serializers.SerializerMethodField()

    class Meta(MyCommunitySerializer.Meta):
        fields = ["slug", "name", "description", "rules", "kind", "purpose", "join_policy", "cover_url",
                  "timezone", "currency", "member_count", "branches", "role", "branch", "joined_at"]
        read_only_fields = fields

    @extend_schema_field(BranchSerializer(many=True))
    def get_branches(self, membership):
        return BranchSerializer(self.context["branches"], many=True).data


# Members -------------------------------------------------------------------------------------

class MemberSerializer(serializers.ModelSerializer):
    user = CommunityContactSerializer(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    status = serializers.ChoiceField(choices=Membership.Status.choices, read_only=True)
    branch = BranchRefSerializer(read_only=True, allow_null=True)
    invited_by = CommunityUserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "status", "branch", "invited_by", "joined_at", "banned_at", "ban_reason",
                  "updated_at"]
        read_only_fields = fields


class _IdLookup(serializers.PrimaryKeyRelatedField):
    """Ids in ASCII digits within the bigint range only: "٣", 10**30 or true is a field error, not a
    database error."""

    def to_internal_value(self, data):
        pk = None if isinstance(data, bool) else parse_id(data)
        if pk is None:
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(pk)


class ScopedBranchField(_IdLookup):
    """A branch id, looked up among the current community's branches only."""

    def get_queryset(self):
        community = self.context.get("community")
        return community.active_branches() if community is not None else Community.objects.none()


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    branch = ScopedBranchField(required=False, allow_null=True, queryset=Community.objects.none(),
                               help_text=_("A branch id of this community, or null for none"))

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(_("Give a role or a branch."))
        return attrs


class BanSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


# Invites -------------------------------------------------------------------------------------

class InviteSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("The link to share"))
    qr_url = serializers.SerializerMethodField(help_text=_("A PNG QR code of the link"))
    state = serializers.ChoiceField(choices=INVITE_STATES, read_only=True)
    branch = BranchRefSerializer(read_only=True, allow_null=True)
    created_by = CommunityUserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Invite
        fields = ["id", "code", "label", "url", "qr_url", "state", "uses_count", "max_uses", "expires_at",
                  "revoked_at", "branch", "created_by", "created_at"]
        read_only_fields = fields

    def get_url(self, invite) -> str:
        return _absolute(self.context.get("request"), invite.get_absolute_url())

    def get_qr_url(self, invite) -> str:
        return _absolute(self.context.get("request"), reverse("communities:invite_qr", kwargs={"code": invite.code}))


class InviteCreateSerializer(serializers.Serializer):
    label = serializers.CharField(required=False, allow_blank=True, max_length=80)
    expires_at = InstantField(required=False, allow_null=True)
    # The column's range only; the rule "at least 1" is the service's.
    max_uses = serializers.IntegerField(required=False, allow_null=True, max_value=2**31 - 1)
    branch = ScopedBranchField(required=False, allow_null=True, queryset=Community.objects.none(),
                               help_text=_("New members join this branch"))


class JoinCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text=_("The code of an invite link"))


# Join requests -------------------------------------------------------------------------------

class JoinRequestSerializer(serializers.ModelSerializer):
    user = CommunityContactSerializer(read_only=True)
    community = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    status = serializers.ChoiceField(choices=JoinRequest.Status.choices, read_only=True)
    decided_by = CommunityUserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = JoinRequest
        fields = ["id", "community", "user", "message", "status", "created_at", "decided_by", "decided_at",
                  "decision_note"]
        read_only_fields = fields


class JoinRequestCreateSerializer(serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, max_length=500,
                                    help_text=_("Up to 500 characters"))
    ref = serializers.RegexField(r"^[A-Za-z0-9_-]{1,16}$", required=False, allow_blank=True,
                                 help_text=_("The code of the member's referral link the person came by (optional)"))


class JoinRequestApproveSerializer(serializers.Serializer):
    branch = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                      help_text=_("Put the person in this branch of the community (optional: "
                                                  "without one they are asked to choose)"))


class JoinRequestDeclineSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text=_("Told to the person"))


# Settings (admins) ---------------------------------------------------------------------------

SETTINGS_FIELDS = ["name", "description", "rules", "kind", "purpose", "join_policy", "timezone", "currency",
                   "payment_instructions", "payment_window_minutes", "commission_recipient", "jielong_names",
                   "previews_members_only"]
_WINDOW = CommunitySettingsForm.base_fields["payment_window_minutes"]


class CommunitySettingsSerializer(serializers.ModelSerializer):
    """A community's settings as its admins see and change them."""

    cover_url = serializers.SerializerMethodField()
    payment_qr_url = serializers.SerializerMethodField()

    class Meta:
        model = Community
        fields = ["slug", *SETTINGS_FIELDS, "cover_url", "payment_qr_url", "created_at"]
        read_only_fields = fields

    def _url(self, image) -> str | None:
        return _absolute(self.context.get("request"), image.url) if image else None

    def get_cover_url(self, community) -> str | None:
        return self._url(community.cover)

    def get_payment_qr_url(self, community) -> str | None:
        return self._url(community.payment_qr)


class CommunityWriteSerializer(serializers.ModelSerializer):
    """Types and lengths of the community's columns, the settings form's bounds on the payment
    window; the rest (and every rule across fields) is communities.services'."""

    class Meta:
        model = Community
        fields = SETTINGS_FIELDS
        extra_kwargs = {"payment_window_minutes": {"min_value": _WINDOW.min_value, "max_value": _WINDOW.max_value}}


class CommunityCreateSerializer(CommunityWriteSerializer):
    class Meta(CommunityWriteSerializer.Meta):
        fields = ["name", "description", "rules", "kind", "purpose", "join_policy", "timezone", "currency"]
        extra_kwargs = {"name": {"required": True}}


class CoverUploadSerializer(serializers.Serializer):
    cover = serializers.FileField(help_text=_("JPEG, PNG or WebP, up to 5 MB"))


class PaymentQRUploadSerializer(serializers.Serializer):
    payment_qr = serializers.FileField(help_text=_("Your WeChat or Alipay receiving code: JPEG, PNG or WebP, up to 5 MB"))


class ScopedMemberUserField(_IdLookup):
    """A user id, looked up among the people with a membership of the current community only
    (whether it is active is the service's to say)."""

    def get_queryset(self):
        community = self.context.get("community")
        if community is None:
            return get_user_model().objects.none()
        return get_user_model().objects.filter(memberships__community=community)


class TransferOwnershipSerializer(serializers.Serializer):
    member = ScopedMemberUserField(queryset=Membership.objects.none(),
                                   help_text=_("The user id of the active member who becomes the owner"))


# Branches ------------------------------------------------------------------------------------

class BranchWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=BranchForm.base_fields["name"].max_length)
    leader = ScopedMemberUserField(required=False, allow_null=True, queryset=Membership.objects.none(),
                                   help_text=_("The user id of an active member, or null for none yet"))


# Audit log -----------------------------------------------------------------------------------

class AuditLogSerializer(serializers.ModelSerializer):
    actor = CommunityUserSerializer(read_only=True, allow_null=True)
    target_user = CommunityUserSerializer(read_only=True, allow_null=True)
    action_label = serializers.CharField(read_only=True, help_text=_("The action in words"))
    sentence = serializers.CharField(read_only=True, help_text=_("The whole entry in words, as the console shows it"))
    data = serializers.DictField(read_only=True, help_text=_("Details of the action (differ by action)"))

    class Meta:
        model = AuditLog
        fields = ["id", "created_at", "action", "action_label", "sentence", "actor", "target_user", "object_type", "object_id",
                  "data"]
        read_only_fields = fields


class BranchRetireSerializer(serializers.Serializer):
    move_to = ScopedBranchField(required=False, allow_null=True, default=None, queryset=Community.objects.none(),
                                help_text=_("Another branch in use its members and pickup points move to "
                                            "(none: the community as a whole)"))
