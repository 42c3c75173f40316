import os

import pytest
from rest_framework.test import APIClient

from communities.models import Role
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run from a
# thread with a running loop unless told it is safe (it is: nothing here is actually async).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def community(db):
    """A community with an owner, an admin, a leader and a member."""
    community = CommunityFactory()
    for role in (Role.OWNER, Role.ADMIN, Role.LEADER, Role.MEMBER):
        MembershipFactory(community=community, role=role,
                          user=UserFactory(display_name=f"{role.label} of {community.name}"))
    return community


def _member(community, role):
    return community.memberships.select_related("user", "community").get(role=role) if role == Role.OWNER else \
        community.memberships.select_related("user", "community").filter(role=role).first()


@pytest.fixture
def owner(community):
    return _member(community, Role.OWNER)


@pytest.fixture
def admin_member(community):
    return _member(community, Role.ADMIN)


@pytest.fixture
def leader(community):
    return _member(community, Role.LEADER)


@pytest.fixture
def member(community):
    return _member(community, Role.MEMBER)


@pytest.fixture
def outsider(db):
    return UserFactory(display_name="Outsider")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make
