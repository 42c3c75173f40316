"""Fixtures for engagement: events (make_event), extra members (new_member), wallet top-ups."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from communities.models import Role
from engagement import events
from payments import services as payments_services
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def make_event(owner):
    """make_event(capacity=2, price="0", starts_in=timedelta(days=3), publish=True, actor=owner, **kw) -> Event."""

    def _make(*, capacity=2, price="0", starts_in=timedelta(days=3), publish=True, actor=None, **kwargs):
        actor = actor or owner
        starts = timezone.now() + starts_in
        event = events.event_create(actor=actor, title=kwargs.pop("title", "Tea tasting"),
                                    kind=kwargs.pop("kind", "tasting"), starts_at=starts,
                                    ends_at=kwargs.pop("ends_at", starts + timedelta(hours=2)), capacity=capacity,
                                    price=Decimal(price), address=kwargs.pop("address", "1 Tea Street"), **kwargs)
        if publish:
            event = events.event_publish(actor=actor, event=event)
        return event

    return _make


@pytest.fixture
def new_member(community):
    """new_member(name=None, branch=None) -> an active plain member of the community."""
    counter = {"n": 0}

    def _new(name=None, branch=None):
        counter["n"] += 1
        membership = MembershipFactory(community=community, role=Role.MEMBER, branch=branch,
                                       user=UserFactory(display_name=name or f"Member {counter['n']}"))
        membership.community = community
        return membership

    return _new


@pytest.fixture
def top_up(owner):
    def _top_up(membership, amount):
        return payments_services.wallet_top_up(actor=owner, member_user=membership.user, amount=Decimal(amount))

    return _top_up
