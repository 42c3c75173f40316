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
from rest_framework.response import Response

from communities import selectors, services
from communities.api import serializers as s
from communities.models import Community, JoinRequest
from communities.permissions import Perm, has_perm, invites_in_scope, members_in_scope, resolve_community
from core.api import error_responses as errors
from core.exceptions import NotFound

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


# My communities ------------------------------------------------------------------------------

class MyCommunityListView(GenericAPIView):
    """Communities I am an active member of, with my role, my branch and the member count."""

    filter_backends = []

    @extend_schema(responses=s.MyCommunitySerializer(many=True), tags=[TAG], summary=_lazy("My communities"))
    def get(self, request):
        page = self.paginate_queryset(selectors.my_communities(request.user))
        return self.get_paginated_response(s.MyCommunitySerializer(page, many=True, context={"request": request}).data)


class CommunityDetailView(CommunityAPIView):
    """A community as its members see it: settings, branches and my role. Non-members get 404."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.CommunityDetailSerializer, **errors(404)}, tags=[TAG],
                   summary=_lazy("A community I belong to"))
    def get(self, request, slug):
        mine = get_object_or_404(selectors.my_communities(request.user), pk=self.membership.pk)
        context = {"request": request, "branches": selectors.branches(self.community)}
        return Response(s.CommunityDetailSerializer(mine, context=context).data)


# Members -------------------------------------------------------------------------------------

def _member_queryset(community: Community):
    return community.memberships.select_related("user", "branch", "invited_by")


class MemberListView(CommunityAPIView):
    """The member list of the console (leaders and up: a leader's is their branch's), filtered and paginated."""

    permission = Perm.VIEW_CONSOLE

    @extend_schema(parameters=[s.MemberFilterSerializer], responses={200: s.MemberSerializer(many=True),
                   **errors(400, 403, 404)}, tags=[TAG], summary=_lazy("Members (console)"))
    def get(self, request, slug):
        filters = s.MemberFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = {key: str(value) for key, value in filters.validated_data.items()}
        page = self.paginate_queryset(members_in_scope(self.membership,
                                                       selectors.member_list(community=self.community, **values)))
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
        membership, created = services.membership_join_by_code(user=request.user, code=data.validated_data["code"])
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

    @extend_schema(parameters=[s.JoinRequestFilterSerializer],
                   responses={200: s.JoinRequestSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Join requests (console)"),
                   description=_lazy("Pending requests, oldest first, unless ?status= says otherwise."))
    def get(self, request, slug):
        filters = s.JoinRequestFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        requests = (self.community.join_requests.filter(status=filters.validated_data["status"])
                    .select_related("community", "user", "decided_by").order_by("created_at", "id"))
        page = self.paginate_queryset(requests)
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
        join_request = services.join_request_create(user=request.user, community=community,
                                                    message=data.validated_data.get("message", ""))
        return Response(s.JoinRequestSerializer(join_request).data,
                        status=status.HTTP_200_OK if pending else status.HTTP_201_CREATED)


class JoinRequestApproveView(CommunityAPIView):
    """Approve a pending join request: the person becomes a member."""

    permission = Perm.DECIDE_REQUESTS

    @extend_schema(request=None, responses={200: s.JoinRequestSerializer, **errors(403, 404, 409)}, tags=[TAG],
                   summary=_lazy("Approve a join request"))
    def post(self, request, slug, pk):
        join_request = get_object_or_404(self.community.join_requests.select_related("user"), pk=pk)
        services.join_request_approve(actor=self.membership, join_request=join_request)
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
