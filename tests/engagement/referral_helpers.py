"""Helpers for the referral tests: joining by a member's link, completing an invitee's order, and
delivering the domain events and the reward sweep."""

from __future__ import annotations

from datetime import timedelta

from communities import services as communities
from communities.models import Membership
from core.sweeps import sweep_run
from engagement import referrals
from engagement.models import Referral
from orders import services as orders
from tests.branches import fresh, pay
from tests.factories import UserFactory, make_group_buy

ADDRESS = "203.0.113.7"


def deliver():
    """Hand every committed domain event to its handlers (membership.joined, order.completed...)."""
    sweep_run("core.domain_events")


def pay_rewards(now=None):
    return sweep_run("engagement.referral_rewards", now=now)


def join_by_link(referrer: Membership, *, user=None, address=ADDRESS, **user_fields) -> Membership:
    """A new person joins by ``referrer``'s invite link; the join event is delivered."""
    invite = referrers_invite(referrer)
    user = user or UserFactory(**user_fields)
    if invite.admits:
        membership, _created = communities.membership_join_by_code(user=user, code=invite.code, address=address)
    else:  # a plain member's link where admits review newcomers: a request, then an admin's approval
        join_request = communities.join_request_create(user=user, community=invite.community, invite=invite,
                                                       address=address)
        owner = Membership.objects.select_related("community", "user").get(community=invite.community, role="owner")
        membership = communities.join_request_approve(actor=owner, join_request=join_request)
    deliver()
    return fresh(membership)


def referrers_invite(referrer: Membership):
    return referrals.my_invite(fresh(referrer))


def referral_of(invitee: Membership) -> Referral | None:
    return Referral.objects.filter(community_id=invitee.community_id, invitee_id=invitee.user_id).first()


def complete_order(owner: Membership, admin: Membership, buyer: Membership, *, key="k"):
    """``buyer`` orders in a new round, pays, picks up: a completed order (its event delivered)."""
    group_buy = make_group_buy(owner, title=f"Round {key}")
    order, _created = orders.order_place(member=fresh(buyer), group_buy=group_buy,
                                         lines=[(group_buy.items.first().pk, 1)], idempotency_key=key,
                                         pickup_point_id=group_buy.pickup_points.first().pk)
    pay(admin, order)
    orders.group_buy_close_due(now=group_buy.closes_at + timedelta(seconds=1))
    group_buy.refresh_from_db()
    orders.group_buy_mark_arrived(actor=owner, group_buy=group_buy)
    order.refresh_from_db()
    orders.order_complete(actor=owner, order=order, code=order.pickup_code)
    order.refresh_from_db()
    deliver()
    return order
