"""Races on PostgreSQL with real threads: the invite limit and the one-membership rule hold."""

import pytest

from communities import services
from communities.models import Invite, Membership
from core.exceptions import DomainError
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_last_uses_of_an_invite_are_granted_exactly_up_to_the_limit():
    community = CommunityFactory()
    owner = MembershipFactory(community=community, role="owner").user
    invite = Invite.objects.create(community=community, created_by=owner, max_uses=3, uses_count=1)
    people = [UserFactory() for _ in range(8)]

    results = run_at_once(8, lambda i: services.membership_join_by_code(user=people[i], code=invite.code))

    granted = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(granted) == 2 and len(refused) == 6, results
    assert {r.code for r in refused} == {"invite_used_up"}
    invite.refresh_from_db()
    assert invite.uses_count == 3
    assert Membership.objects.filter(community=community, invite=invite).count() == 2


def test_one_person_tapping_join_many_times_at_once_gets_one_membership():
    community = CommunityFactory()
    owner = MembershipFactory(community=community, role="owner").user
    invite = Invite.objects.create(community=community, created_by=owner, max_uses=10)
    person = UserFactory()

    results = run_at_once(6, lambda i: services.membership_join_by_code(user=person, code=invite.code))

    assert all(isinstance(r, tuple) for r in results), results
    assert sum(created for _m, created in results) == 1
    assert len({m.pk for m, _c in results}) == 1
    invite.refresh_from_db()
    assert invite.uses_count == 1


def test_two_admins_deciding_the_same_request_at_once():
    community = CommunityFactory()
    MembershipFactory(community=community, role="owner")
    admins = [MembershipFactory(community=community, role="admin") for _ in range(2)]
    applicant = UserFactory()
    request = services.join_request_create(user=applicant, community=community, message="hi")

    def decide(i):
        if i == 0:
            return services.join_request_approve(actor=admins[0], join_request=request)
        return services.join_request_decline(actor=admins[1], join_request=request)

    results = run_at_once(2, decide)

    errors = [r for r in results if isinstance(r, DomainError)]
    assert len(errors) == 1 and errors[0].code == "already_decided"
    request.refresh_from_db()
    member = Membership.objects.filter(community=community, user=applicant, status="active").exists()
    assert member == (request.status == "approved")


def test_approval_racing_a_join_by_link_leaves_one_active_membership():
    community = CommunityFactory()
    owner = MembershipFactory(community=community, role="owner")
    invite = Invite.objects.create(community=community, created_by=owner.user)
    for _round in range(5):
        person = UserFactory()
        request = services.join_request_create(user=person, community=community, message="hi")

        def act(i, person=person, request=request):
            if i == 0:
                return services.join_request_approve(actor=owner, join_request=request)
            return services.membership_join_by_code(user=person, code=invite.code)

        results = run_at_once(2, act)
        unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
        assert not unexpected, unexpected
        assert Membership.objects.filter(community=community, user=person, status="active").count() == 1
