"""Shared set-up for the split-bill collection tests."""

import itertools
from decimal import Decimal

from crowdfunding import collections
from payments import services as payments
from tests.factories import MembershipFactory, UserFactory

_keys = itertools.count()


def friends(community, n, *, balance=None, owner=None):
    """n more active members (with a wallet balance topped up by ``owner`` if given)."""
    members = [MembershipFactory(community=community, user=UserFactory(display_name=f"Friend {i}"))
               for i in range(n)]
    if balance is not None:
        for m in members:
            payments.wallet_top_up(actor=owner, member_user=m.user, amount=balance)
    return members


def top_up(owner, membership, amount):
    payments.wallet_top_up(actor=owner, member_user=membership.user, amount=amount)


def create(organizer, participants, *, total="90.00", split="even", per_head=None, title="Hotpot dinner", key=None):
    return collections.collection_create(
        organizer=organizer, title=title, split=split, total=total if split == "even" else None,
        per_head=per_head, participant_ids=[p.user_id for p in participants],
        idempotency_key=key or f"k{next(_keys)}")


def balance(membership) -> Decimal:
    wallet = membership.community.wallets.filter(member=membership.user).first()
    return wallet.balance if wallet else Decimal("0")
