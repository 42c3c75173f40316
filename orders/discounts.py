"""Points spent at checkout (积分抵现), as orders sees them.

Points live in engagement, which orders never imports: engagement registers a redeemer here when
the apps start, and ``orders.services._place`` asks it for the offer (before the transaction) and
has it spend the points inside the order's transaction (a guarded update of the member's balance:
two orders at once cannot spend the same points). Giving them back when an order is cancelled is
engagement's, reacting to the ``order.cancelled`` event.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class PointsOffer:
    points: int  # what the discount costs
    discount: Decimal  # what it takes off
    balance: int  # the member's points before


class PointsRedeemer(Protocol):
    def offer(self, *, community_id: int, member_id: int, amount: Decimal) -> PointsOffer | None: ...

    def spend(self, *, community_id: int, member_id: int, order_id: int, offer: PointsOffer) -> None: ...


_redeemer: PointsRedeemer | None = None


def register_points_redeemer(redeemer: PointsRedeemer) -> None:
    global _redeemer
    _redeemer = redeemer


def points_offer(member, amount: Decimal) -> PointsOffer | None:
    """What the member's points may take off ``amount`` here (None: not allowed, or no points)."""
    if _redeemer is None or amount <= 0:
        return None
    return _redeemer.offer(community_id=member.community_id, member_id=member.user_id, amount=amount)


def points_spend(member, order_id: int, offer: PointsOffer) -> None:
    """Spend the offer's points for the order, in its transaction (raises when they are gone)."""
    assert _redeemer is not None
    _redeemer.spend(community_id=member.community_id, member_id=member.user_id, order_id=order_id, offer=offer)
