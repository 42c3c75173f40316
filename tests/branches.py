"""Helpers for branch-scoped tests: a branch with its leader, members and pickup points."""

from communities import services as community_services
from communities.models import Membership
from orders.models import PickupPoint


def fresh(membership: Membership) -> Membership:
    """The membership as a request would resolve it (role, branch and community read again)."""
    return Membership.objects.select_related("user", "community", "branch").get(pk=membership.pk)


def make_branch(owner: Membership, name: str, *, leader: Membership | None = None, members=(), points=()):
    """A branch of ``owner``'s community led by ``leader``; ``members`` move into it and ``points``
    (pickup points) belong to it. Returns the branch."""
    branch = community_services.branch_create(actor=owner, name=name, leader=leader.user if leader else None)
    Membership.objects.filter(pk__in=[m.pk for m in members]).update(branch=branch)
    for membership in [*members, *([leader] if leader else [])]:
        membership.branch = branch
        membership.branch_id = branch.pk
    PickupPoint.objects.filter(pk__in=[p.pk for p in points]).update(branch=branch)
    for point in points:
        point.branch = branch
    return branch


def pay(admin: Membership, *orders) -> None:
    """Mark orders paid by transfer (the one place these tests call the payments service)."""
    from orders import services

    services.payments_mark_received(actor=admin, orders=list(orders))
