from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from communities.models import Community, Invite, JoinRequest, Membership
from core.inputs import parse_id


def my_communities(user) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, status=Membership.Status.ACTIVE, community__parent__isnull=True)
        .select_related("community", "branch")
        .annotate(member_count=Count("community__memberships", filter=Q(community__memberships__status="active")))
        .order_by("community__name")
    )


def member_list(*, community: Community, q: str = "", role: str = "", status: str = "",
                branch: str = "", invited_by: str = "") -> QuerySet[Membership]:
    qs = community.memberships.select_related("user", "branch", "invited_by")
    qs = member_search(qs, q)
    if role:
        qs = qs.filter(role=role)
    qs = qs.filter(status=status) if status else qs.exclude(status=Membership.Status.LEFT)
    # An id that no row can have ("²", "abc", 10**30) matches nothing, as an unknown id does.
    if branch == "none":
        qs = qs.filter(branch__isnull=True)
    elif branch:
        qs = qs.filter(branch_id=parse_id(branch) or 0)
    if invited_by:
        qs = qs.filter(invited_by_id=parse_id(invited_by) or 0)
    return qs.order_by("-joined_at", "-id")


def member_search(qs: QuerySet[Membership], q: str) -> QuerySet[Membership]:
    """Members whose name, phone number or e-mail address holds ``q``."""
    q = q.strip()
    if not q:
        return qs
    return qs.filter(Q(user__display_name__icontains=q) | Q(user__phone__contains=q) | Q(user__email__icontains=q))


def member_counts(community: Community) -> dict[str, int]:
    rows = community.memberships.values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    counts["pending_requests"] = community.join_requests.filter(status=JoinRequest.Status.PENDING).count()
    return counts


def branches(community: Community) -> QuerySet[Community]:
    return (
        community.branches.select_related("leader")
        .annotate(member_count=Count("branch_memberships", filter=Q(branch_memberships__status="active")))
        .order_by("name")
    )


def invites(community: Community, *, created_by=None) -> QuerySet[Invite]:
    qs = community.invites.select_related("created_by", "branch").annotate(
        joined_count=Count("memberships")
    )
    if created_by is not None:
        qs = qs.filter(created_by=created_by)
    return qs.order_by("-created_at", "-id")


def pending_requests(community: Community) -> QuerySet[JoinRequest]:
    return community.join_requests.filter(status=JoinRequest.Status.PENDING).select_related("user").order_by("created_at")
