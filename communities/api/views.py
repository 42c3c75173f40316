"""REST API for communities: my communities, members, invites, joining, join requests.

Each view: input serializer → a row from the community-scoped queryset → service → output
serializer. The community and the caller's membership are resolved once per request from the
URL's slug (communities.permissions.resolve_community): a non-member gets 404, a member
without the permission 403. Services raise DomainErrors; core.api.exception_handler renders them.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from communities import selectors, services
from communities.api import filters
from communities.api import serializers as s
from communities.models import Community, JoinRequest, Membership, Role
from communities.permissions import Perm, has_perm, invites_in_scope, members_in_scope, resolve_community
from core.api import error_responses as errors
from core.exceptions import NotFound, ValidationFailed
from core.filters import FILTER_BACKENDS
from core.idempotency import KEY_PARAMETER, idempotent
from core.models import AuditLog
from core.net import client_ip

TAG = "communities"


class CommunityAPIView(GenericAPIView):
    # Resolves <slug> to self.community and self.membership (with ``permission``) before the
    # handler runs, so every handler starts from the tenant.
    permission: Perm = Perm.VIEW
    filter_backends = []  # filtering goes through communities.selectors

    def required_permission(self, request) -> Perm | None:
        """The permission this request needs; None when the caller need not be a member."""
        return self.permission

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        perm = self.required_permission(request)
        if perm is not None:
            self.community, self.membership = resolve_community(request.user, kwargs["slug"], perm)

    def branch_from_id(self, branch_id: int | None) -> Community | None:
        """The active branch of this community an id in a body names (None for none), or a field
        error; the service decides whether the caller may choose it."""
        if branch_id is None:
            return None
        branch = self.community.active_branches().filter(pk=branch_id).first()
        if branch is None:
            message = _("Choose a branch of this community.")
            raise ValidationFailed(message, fields={"branch": [message]})
        return branch


# My communities ------------------------------------------------------------------------------

class MyCommunityListView(GenericAPIView):
    """Communities I am an active member of, with my role, my branch and the member count."""

    filter_backends = []

    @extend_schema(responses=s.MyCommunitySerializer(many=True), tags=[TAG], summary=_lazy("My communities"))
    def get(self, request):
        page = self.paginate_queryset(selectors.my_communities(request.user))
        return self.get_paginated_response(s.MyCommunitySerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=s.CommunityCreateSerializer, parameters=[KEY_PARAMETER],
                   responses={201: s.CommunitySettingsSerializer, **errors(400, 422)}, tags=[TAG],
                   summary=_lazy("Create a community"),
                   description=_lazy("The caller becomes its owner. Add a cover with POST …/cover/."))
    def post(self, request):
        def create():
            data = s.CommunityCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            community = services.community_create(owner=request.user, **data.validated_data)
            return Response(s.CommunitySettingsSerializer(community, context={"request": request}).data,
                            status=status.HTTP_201_CREATED)
        return idempotent(request, "community-create", create)


class CommunityDetailView(CommunityAPIView):
    """A community as its members see it: settings, branches and my role. Non-members get 404."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.CommunityDetailSerializer, **errors(404)}, tags=[TAG],
                   summary=_lazy("A community I belong to"))
    def get(self, request, slug):
        mine = get_object_or_404(selectors.my_communities(request.user), pk=self.membership.pk)
        context = {"request": request, "branches": selectors.branches(self.community).filter(retired_at__isnull=True)}
        return Response(s.CommunityDetailSerializer(mine, context=context).data)

    def required_permission(self, request) -> Perm | None:
        return Perm.MANAGE_SETTINGS if request.method == "PATCH" else Perm.VIEW

    @extend_schema(request=s.CommunityWriteSerializer,
                   responses={200: s.CommunitySettingsSerializer, **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Change a community's settings"),
                   description=_lazy("Admins and the owner. Only the fields given change; the cover and the "
                                     "receiving QR code have their own upload endpoints."))
    def patch(self, request, slug):
        data = s.CommunityWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        community = services.community_update(actor=self.membership, **data.validated_data)
        return Response(s.CommunitySettingsSerializer(community, context={"request": request}).data)


class _CommunityImageView(CommunityAPIView):
    # The settings form's image fields, through the same service (and so core.images.clean_image).
    permission = Perm.MANAGE_SETTINGS
    parser_classes = [MultiPartParser, FormParser]
    field: str
    upload_serializer: type

    def post(self, request, slug):
        data = self.upload_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        community = services.community_update(actor=self.membership, **{self.field: data.validated_data[self.field]})
        return Response(s.CommunitySettingsSerializer(community, context={"request": request}).data)

    def delete(self, request, slug):
        community = services.community_update(actor=self.membership, **{f"remove_{self.field}": True})
        return Response(s.CommunitySettingsSerializer(community, context={"request": request}).data)


def _image_view(name, field, upload_serializer, what, what_remove):
    schema = {"tags": [TAG], "responses": {200: s.CommunitySettingsSerializer, **errors(400, 403, 404)}}
    post = extend_schema(request={"multipart/form-data": upload_serializer}, summary=what,
                         description=_lazy("JPEG, PNG or WebP up to 5 MB; checked, re-encoded without EXIF "
                                           "and resized, as in the console."), **schema)
    remove = extend_schema(request=None, summary=what_remove, **schema)
    # Fresh functions per view: extend_schema marks the function it decorates.
    def upload(self, request, slug):
        return _CommunityImageView.post(self, request, slug)

    def delete(self, request, slug):
        return _CommunityImageView.delete(self, request, slug)

    return type(name, (_CommunityImageView,), {
        "field": field, "upload_serializer": upload_serializer, "__doc__": str(what),
        "post": post(upload), "delete": remove(delete)})


CommunityCoverView = _image_view("CommunityCoverView", "cover", s.CoverUploadSerializer,
                                 _lazy("Upload the cover image"), _lazy("Remove the cover image"))
CommunityPaymentQRView = _image_view("CommunityPaymentQRView", "payment_qr", s.PaymentQRUploadSerializer,
                                     _lazy("Upload the receiving QR code"), _lazy("Remove the receiving QR code"))


class TransferOwnershipView(CommunityAPIView):
    """The owner hands the community to another active member and becomes an admin."""

    permission = Perm.MANAGE_MEMBERS

    @extend_schema(request=s.TransferOwnershipSerializer, responses={200: s.MemberSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG], summary=_lazy("Transfer ownership"),
                   description=_lazy("The owner only. Answers the new owner's membership."))
    def post(self, request, slug):
        data = s.TransferOwnershipSerializer(data=request.data, context={"community": self.community})
        data.is_valid(raise_exception=True)
        target = _member_queryset(self.community).get(user=data.validated_data["member"])
        services.membership_change_role(actor=self.membership, membership=target, role=Role.OWNER)
        return Response(s.MemberSerializer(_member_queryset(self.community).get(pk=target.pk)).data)


# Branches ------------------------------------------------------------------------------------

class BranchListView(CommunityAPIView):
    """The community's branches with their leader and member count (admins and the owner)."""

    permission = Perm.MANAGE_BRANCHES

    @extend_schema(responses={200: s.AdminBranchSerializer(many=True), **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("Branches"))
    def get(self, request, slug):
        page = self.paginate_queryset(selectors.branches(self.community))
        return self.get_paginated_response(s.AdminBranchSerializer(page, many=True).data)

    @extend_schema(request=s.BranchWriteSerializer, responses={201: s.AdminBranchSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG], summary=_lazy("Create a branch"),
                   description=_lazy("A leader given here becomes at least a leader and joins the branch."))
    def post(self, request, slug):
        data = s.BranchWriteSerializer(data=request.data, context={"community": self.community})
        data.is_valid(raise_exception=True)
        branch = services.branch_create(actor=self.membership, **data.validated_data)
        return Response(s.AdminBranchSerializer(selectors.branches(self.community).get(pk=branch.pk)).data,
                        status=status.HTTP_201_CREATED)


class BranchDetailView(CommunityAPIView):
    """Rename a branch or change its leader."""

    permission = Perm.MANAGE_BRANCHES

    @extend_schema(request=s.BranchWriteSerializer(partial=True), responses={200: s.AdminBranchSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG], summary=_lazy("Change a branch"),
                   description=_lazy("Only the fields given change; a null leader leaves the branch without one."))
    def patch(self, request, slug, pk):
        data = s.BranchWriteSerializer(data=request.data, partial=True, context={"community": self.community})
        data.is_valid(raise_exception=True)
        branch = get_object_or_404(self.community.branches.select_related("leader"), pk=pk)
        values = {"name": branch.name, "leader": branch.leader, **data.validated_data}
        services.branch_update(actor=self.membership, branch=branch, **values)
        return Response(s.AdminBranchSerializer(selectors.branches(self.community).get(pk=branch.pk)).data)


class BranchRetireView(CommunityAPIView):
    """Retire a branch: its members, pickup points and invites move to ``move_to`` or to no branch."""

    permission = Perm.MANAGE_BRANCHES

    @extend_schema(request=s.BranchRetireSerializer, responses={200: s.AdminBranchSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG], summary=_lazy("Retire a branch"),
                   description=_lazy("409 branch_in_use while a published group-buy is aimed at it; 409 retired "
                                     "when it is retired already."))
    def post(self, request, slug, pk):
        branch = get_object_or_404(self.community.branches, pk=pk)
        data = s.BranchRetireSerializer(data=request.data, context={"community": self.community})
        data.is_valid(raise_exception=True)
        services.branch_retire(actor=self.membership, branch=branch, move_to=data.validated_data["move_to"])
        return Response(s.AdminBranchSerializer(selectors.branches(self.community).get(pk=branch.pk)).data)


class BranchRestoreView(CommunityAPIView):
    """Use a retired branch again."""

    permission = Perm.MANAGE_BRANCHES

    @extend_schema(request=None, responses={200: s.AdminBranchSerializer, **errors(403, 404, 409)}, tags=[TAG],
                   summary=_lazy("Use a retired branch again"))
    def post(self, request, slug, pk):
        branch = get_object_or_404(self.community.branches, pk=pk)
        services.branch_restore(actor=self.membership, branch=branch)
        return Response(s.AdminBranchSerializer(selectors.branches(self.community).get(pk=branch.pk)).data)


class CommunitySettingsView(CommunityAPIView):
    """A community's settings as its admins see them (what PATCH on the community answers)."""

    permission = Perm.MANAGE_SETTINGS

    @extend_schema(responses={200: s.CommunitySettingsSerializer, **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("A community's settings"),
                   description=_lazy("Admins and the owner: rules, join policy, payment instructions and "
                                     "receiving QR, payment window, commission settings."))
    def get(self, request, slug):
        return Response(s.CommunitySettingsSerializer(self.community, context={"request": request}).data)


# Audit log -----------------------------------------------------------------------------------

class AuditLogView(CommunityAPIView):
    """Who did what, newest first (admins and the owner)."""

    permission = Perm.VIEW_AUDIT

    filter_backends = FILTER_BACKENDS
    filterset_class = filters.AuditFilter
    queryset = AuditLog.objects.none()  # the model, for the schema; rows come from the community

    @extend_schema(responses={200: s.AuditLogSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Audit log"))
    def get(self, request, slug):
        rows = self.community.audit_logs.select_related("actor", "target_user").order_by("-created_at", "-id")
        page = self.paginate_queryset(self.filter_queryset(rows))
        return self.get_paginated_response(s.AuditLogSerializer(page, many=True).data)


# Members' own --------------------------------------------------------------------------------

class LeaveView(CommunityAPIView):
    """Leave a community. The owner cannot: they transfer ownership first."""

    permission = Perm.VIEW

    @extend_schema(request=None, responses={204: OpenApiResponse(description=_lazy("Left")), **errors(403, 404)},
                   tags=[TAG], summary=_lazy("Leave a community"))
    def post(self, request, slug):
        services.membership_leave(user=request.user, community=self.community)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Members -------------------------------------------------------------------------------------

def _member_queryset(community: Community):
    return community.memberships.select_related("user", "branch", "invited_by")


class MemberListView(CommunityAPIView):
    """The member list of the console (leaders and up: a leader's is their branch's), filtered and paginated."""

    permission = Perm.VIEW_CONSOLE
    filter_backends = FILTER_BACKENDS
    filterset_class = filters.MemberFilter
    queryset = Membership.objects.none()

    @extend_schema(responses={200: s.MemberSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Members (console)"))
    def get(self, request, slug):
        # The leader's branch scope first: the filters narrow what the caller may see, never widen it.
        members = members_in_scope(self.membership, _member_queryset(self.community).order_by("-joined_at", "-id"))
        page = self.paginate_queryset(self.filter_queryset(members))
        return self.get_paginated_response(s.MemberSerializer(page, many=True).data)


class MemberDetailView(CommunityAPIView):
    """Change a member's role and/or branch (admins and the owner)."""

    permission = Perm.MANAGE_MEMBERS

    @extend_schema(request=s.MemberUpdateSerializer,
                   responses={200: s.MemberSerializer, **errors(400, 403, 404, 409)}, tags=[TAG],
                   summary=_lazy("Change a member's role and/or branch"))
    def patch(self, request, slug, pk):
        data = s.MemberUpdateSerializer(data=request.data, context={"community": self.community})
        data.is_valid(raise_exception=True)
        target = get_object_or_404(_member_queryset(self.community), pk=pk)
        # Both changes or neither: a refused role change must not leave the branch moved.
        with transaction.atomic():
            if "role" in data.validated_data:
                services.membership_change_role(actor=self.membership, membership=target,
                                                role=data.validated_data["role"])
            if "branch" in data.validated_data:
                services.membership_move_branch(actor=self.membership, membership=target,
                                                branch=data.validated_data["branch"])
        return Response(s.MemberSerializer(_member_queryset(self.community).get(pk=target.pk)).data)


class MemberBanView(CommunityAPIView):
    """Ban a member: they lose their role and cannot rejoin by any link."""

    permission = Perm.MANAGE_MEMBERS

    @extend_schema(request=s.BanSerializer, responses={200: s.MemberSerializer, **errors(400, 403, 404)},
                   tags=[TAG], summary=_lazy("Ban a member"))
    def post(self, request, slug, pk):
        data = s.BanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = get_object_or_404(_member_queryset(self.community), pk=pk)
        services.membership_ban(actor=self.membership, membership=target,
                                reason=data.validated_data.get("reason", ""))
        return Response(s.MemberSerializer(_member_queryset(self.community).get(pk=target.pk)).data)


class MemberUnbanView(CommunityAPIView):
    """Lift a ban: the person may join again, and is not a member until they do."""

    permission = Perm.MANAGE_MEMBERS

    @extend_schema(request=None, responses={200: s.MemberSerializer, **errors(403, 404, 409)}, tags=[TAG],
                   summary=_lazy("Lift a ban"))
    def post(self, request, slug, pk):
        target = get_object_or_404(_member_queryset(self.community), pk=pk)
        services.membership_unban(actor=self.membership, membership=target)
        return Response(s.MemberSerializer(_member_queryset(self.community).get(pk=target.pk)).data)


# Invites -------------------------------------------------------------------------------------

class InviteListView(CommunityAPIView):
    """Invite links (with QR codes) of the community; leaders and up."""

    permission = Perm.INVITE

    @extend_schema(responses={200: s.InviteSerializer(many=True), **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("Invite links"),
                   description=_lazy("Leaders see their own links; admins see everyone's."))
    def get(self, request, slug):
        mine_only = None if has_perm(self.membership, Perm.MANAGE_INVITES) else request.user
        page = self.paginate_queryset(selectors.invites(self.community, created_by=mine_only))
        return self.get_paginated_response(s.InviteSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=s.InviteCreateSerializer, responses={201: s.InviteSerializer, **errors(400, 403, 404)},
                   tags=[TAG], summary=_lazy("Create an invite link"))
    def post(self, request, slug):
        data = s.InviteCreateSerializer(data=request.data, context={"community": self.community})
        data.is_valid(raise_exception=True)
        invite = services.invite_create(actor=self.membership, **data.validated_data)
        invite = self.community.invites.select_related("created_by", "branch").get(pk=invite.pk)
        return Response(s.InviteSerializer(invite, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class InviteRevokeView(CommunityAPIView):
    """Revoke an invite link: it stops working at once."""

    permission = Perm.INVITE

    @extend_schema(request=None, responses={200: s.InviteSerializer, **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("Revoke an invite link"))
    def post(self, request, slug, pk):
        invites = invites_in_scope(self.membership, self.community.invites.select_related("created_by", "branch"))
        invite = get_object_or_404(invites, pk=pk)
        invite = services.invite_revoke(actor=self.membership, invite=invite)
        return Response(s.InviteSerializer(invite, context={"request": request}).data)


class JoinByCodeView(GenericAPIView):
    """Join a community with an invite code. 201 when joined now, 200 when already a member."""

    filter_backends = []

    @extend_schema(request=s.JoinCodeSerializer,
                   responses={201: OpenApiResponse(s.MyCommunitySerializer, description=_lazy("Joined now")),
                              200: OpenApiResponse(s.MyCommunitySerializer,
                                                   description=_lazy("Already a member")),
                              **errors(400, 403, 404, 410)},
                   tags=[TAG], summary=_lazy("Join with an invite code"))
    def post(self, request):
        data = s.JoinCodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership, created = services.membership_join_by_code(user=request.user, code=data.validated_data["code"],
                                                               address=client_ip(request))
        mine = selectors.my_communities(request.user).get(pk=membership.pk)
        return Response(s.MyCommunitySerializer(mine, context={"request": request}).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# Join requests -------------------------------------------------------------------------------

class JoinRequestListView(CommunityAPIView):
    """GET: admins list requests. POST: the caller, not yet a member, asks to join."""

    permission = Perm.DECIDE_REQUESTS

    def required_permission(self, request) -> Perm | None:
        # Asking to join: the caller is not a member yet, there is no membership to resolve.
        return None if request.method == "POST" else super().required_permission(request)

    filter_backends = FILTER_BACKENDS
    filterset_class = filters.JoinRequestFilter
    queryset = JoinRequest.objects.none()

    @extend_schema(responses={200: s.JoinRequestSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Join requests (console)"),
                   description=_lazy("Pending requests, oldest first, unless ?status= says otherwise."))
    def get(self, request, slug):
        requests = (self.community.join_requests.select_related("community", "user", "decided_by")
                    .order_by("created_at", "id"))
        page = self.paginate_queryset(self.filter_queryset(requests))
        return self.get_paginated_response(s.JoinRequestSerializer(page, many=True).data)

    @extend_schema(request=s.JoinRequestCreateSerializer,
                   responses={201: OpenApiResponse(s.JoinRequestSerializer, description=_lazy("Request sent")),
                              200: OpenApiResponse(s.JoinRequestSerializer,
                                                   description=_lazy("Already pending: the same request")),
                              **errors(400, 403, 404, 409)},
                   tags=[TAG], summary=_lazy("Ask to join a community"),
                   description=_lazy("For communities that review new members; the caller is not a member "
                                     "yet. Invite-only communities answer 404."))
    def post(self, request, slug):
        data = s.JoinRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Invite-only communities stay hidden, as on the join page; open ones get the service's answer.
        community = Community.objects.filter(
            slug=slug, parent__isnull=True,
            join_policy__in=[Community.JoinPolicy.APPROVAL, Community.JoinPolicy.OPEN],
        ).first()
        if community is None:
            raise NotFound(_("Community not found."), code="community_not_found")
        pending = community.join_requests.filter(user=request.user, status=JoinRequest.Status.PENDING).exists()
        referral = community.invites.filter(code=data.validated_data.get("ref") or "-", admits=False).first()
        join_request = services.join_request_create(user=request.user, community=community,
                                                    message=data.validated_data.get("message", ""),
                                                    invite=referral, address=client_ip(request))
        return Response(s.JoinRequestSerializer(join_request).data,
                        status=status.HTTP_200_OK if pending else status.HTTP_201_CREATED)


class JoinRequestApproveView(CommunityAPIView):
    """Approve a pending join request: the person becomes a member."""

    permission = Perm.DECIDE_REQUESTS

    @extend_schema(request=s.JoinRequestApproveSerializer, responses={200: s.JoinRequestSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG], summary=_lazy("Approve a join request"))
    def post(self, request, slug, pk):
        data = s.JoinRequestApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        join_request = get_object_or_404(self.community.join_requests.select_related("user"), pk=pk)
        branch = None
        if data.validated_data.get("branch") is not None:
            branch = self.community.branches.filter(pk=data.validated_data["branch"]).first()
            if branch is None:
                raise ValidationFailed(_("Choose a branch of this community."),
                                       fields={"branch": [_("Unknown branch.")]})
        services.join_request_approve(actor=self.membership, join_request=join_request, branch=branch)
        join_request = self.community.join_requests.select_related("community", "user", "decided_by").get(pk=pk)
        return Response(s.JoinRequestSerializer(join_request).data)


class JoinRequestDeclineView(CommunityAPIView):
    """Decline a pending join request, with an optional note for the person."""

    permission = Perm.DECIDE_REQUESTS

    @extend_schema(request=s.JoinRequestDeclineSerializer, responses={200: s.JoinRequestSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG], summary=_lazy("Decline a join request"))
    def post(self, request, slug, pk):
        data = s.JoinRequestDeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        join_request = get_object_or_404(self.community.join_requests.select_related("user"), pk=pk)
        services.join_request_decline(actor=self.membership, join_request=join_request,
                                      note=data.validated_data.get("note", ""))
        join_request = self.community.join_requests.select_related("community", "user", "decided_by").get(pk=pk)
        return Response(s.JoinRequestSerializer(join_request).data)


class MyJoinRequestListView(GenericAPIView):
    """My join requests that wait for an answer."""

    filter_backends = []

    @extend_schema(responses=s.JoinRequestSerializer(many=True), tags=[TAG], summary=_lazy("My pending join requests"))
    def get(self, request):
        requests = (JoinRequest.objects.filter(user=request.user, status=JoinRequest.Status.PENDING)
                    .select_related("community", "user", "decided_by").order_by("-created_at", "-id"))
        page = self.paginate_queryset(requests)
        return self.get_paginated_response(s.JoinRequestSerializer(page, many=True).data)


class JoinRequestWithdrawView(GenericAPIView):
    """Take back my own pending join request. Anyone else's does not exist for me (404)."""

    filter_backends = []

    @extend_schema(request=None, responses={200: s.JoinRequestSerializer, **errors(404, 409)}, tags=[TAG],
                   summary=_lazy("Withdraw my join request"))
    def post(self, request, pk):
        join_request = get_object_or_404(JoinRequest.objects.select_related("community"), pk=pk, user=request.user)
        services.join_request_withdraw(user=request.user, join_request=join_request)
        join_request = JoinRequest.objects.select_related("community", "user", "decided_by").get(pk=pk)
        return Response(s.JoinRequestSerializer(join_request).data)
