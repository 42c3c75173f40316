"""Retiring a branch (issue 9): its members, pickup points and invites move on, nothing new goes
to it, and it cannot retire under a published round aimed at it."""

import pytest

from communities import services
from communities.models import Membership
from core.exceptions import Conflict, NotFound, ValidationFailed
from orders import services as order_services
from orders.models import GroupBuy, PickupPoint
from tests.api import assert_error, url
from tests.branches import make_branch
from tests.factories import MembershipFactory, make_group_buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def branches(owner):
    member = MembershipFactory(community=owner.community)
    lead = MembershipFactory(community=owner.community, role="leader")
    point = PickupPoint.objects.create(community=owner.community, name="East gate", address="E")
    east = make_branch(owner, "East", leader=lead, members=[member], points=[point])
    west = make_branch(owner, "West")
    invite = services.invite_create(actor=owner, branch=east)
    return {"east": east, "west": west, "member": member, "lead": lead, "point": point, "invite": invite}


def test_retiring_moves_everyone_and_everything_to_the_chosen_branch(owner, branches):
    east, west = branches["east"], branches["west"]
    draft = make_group_buy(owner, point=branches["point"], publish=False, branch_ids=[east.pk, west.pk])
    services.branch_retire(actor=owner, branch=east, move_to=west)
    east.refresh_from_db()
    assert east.retired_at is not None and east.leader is None
    assert Membership.objects.get(pk=branches["member"].pk).branch == west
    assert PickupPoint.objects.get(pk=branches["point"].pk).branch == west
    branches["invite"].refresh_from_db()
    assert branches["invite"].branch == west
    assert list(draft.branches.all()) == [west]
    assert list(owner.community.active_branches()) == [west]
    # nothing new goes to it
    with pytest.raises(ValidationFailed):
        services.invite_create(actor=owner, branch=east)
    with pytest.raises(ValidationFailed):
        order_services.pickup_point_save(actor=owner, name="New", address="x", branch=east)
    with pytest.raises(Conflict):
        services.branch_retire(actor=owner, branch=east)
    services.branch_restore(actor=owner, branch=east)
    assert owner.community.active_branches().count() == 2


def test_a_published_round_aimed_at_it_keeps_it(owner, branches):
    east = branches["east"]
    make_group_buy(owner, point=branches["point"], branch_ids=[east.pk], title="Aimed at East")
    with pytest.raises(Conflict) as caught:
        services.branch_retire(actor=owner, branch=east)
    assert "Aimed at East" in caught.value.message
    east.refresh_from_db()
    assert east.retired_at is None and Membership.objects.get(pk=branches["member"].pk).branch == east


def test_only_admins_of_this_community_retire(owner, branches):
    with pytest.raises(Exception) as caught:
        services.branch_retire(actor=branches["lead"], branch=branches["east"])
    assert caught.type.__name__ == "Forbidden"
    with pytest.raises(NotFound):
        services.branch_retire(actor=MembershipFactory(role="owner"), branch=branches["east"])
    with pytest.raises(ValidationFailed):
        services.branch_retire(actor=owner, branch=branches["east"], move_to=branches["east"])
    assert GroupBuy.objects.count() == 0 and branches["east"].retired_at is None


def test_retire_and_restore_through_the_api(api_as, owner, branches):
    client = api_as(owner.user)
    slug, east, west = owner.community.slug, branches["east"], branches["west"]
    assert_error(client.post(url(slug, "branches", east.pk, "retire"), {"move_to": 2**63}, format="json"), 400)
    assert_error(client.post(url(slug, "branches", east.pk, "retire"), {"move_to": east.pk}, format="json"), 400)
    retired = client.post(url(slug, "branches", east.pk, "retire"), {"move_to": west.pk}, format="json")
    assert retired.status_code == 200 and retired.json()["retired_at"]
    assert_error(client.post(url(slug, "branches", east.pk, "retire"), {}, format="json"), 409, code="retired")
    # a member cannot be moved into it any more
    assert_error(client.patch(url(slug, "members", branches["member"].pk), {"branch": east.pk}, format="json"), 400)
    restored = client.post(url(slug, "branches", east.pk, "restore"), format="json")
    assert restored.status_code == 200 and restored.json()["retired_at"] is None
    assert_error(api_as(branches["lead"].user).post(url(slug, "branches", west.pk, "retire"), {}, format="json"), 403)


def test_settings_read_with_a_plain_get(api_as, owner, branches):
    response = api_as(owner.user).get(url(owner.community.slug, "settings"))
    assert response.status_code == 200 and "payment_window_minutes" in response.json()
    assert_error(api_as(branches["lead"].user).get(url(owner.community.slug, "settings")), 403)
    assert_error(api_as(MembershipFactory(role="owner").user).get(url(owner.community.slug, "settings")), 404)


def test_the_console_retires_a_branch(client, owner, branches):
    from django.urls import reverse

    client.force_login(owner.user)
    east, west = branches["east"], branches["west"]
    page = client.get(reverse("console:branch_edit", args=[owner.community.slug, east.pk]))
    assert page.status_code == 200 and reverse("console:branch_retire", args=[owner.community.slug, east.pk]) in \
        page.content.decode()
    response = client.post(reverse("console:branch_retire", args=[owner.community.slug, east.pk]),
                           {"move_to": west.pk})
    assert response.status_code == 302
    east.refresh_from_db()
    assert east.retired_at is not None
    assert Membership.objects.get(pk=branches["member"].pk).branch == west


def test_who_may_retire_through_the_api(api_as, owner, branches):
    slug, west = owner.community.slug, branches["west"]
    admin = MembershipFactory(community=owner.community, role="admin")
    assert_error(api_as(branches["member"].user).post(url(slug, "branches", west.pk, "retire"), {}, format="json"), 403)
    assert_error(api_as(MembershipFactory(role="owner").user).post(url(slug, "branches", west.pk, "retire"), {},
                                                                   format="json"), 404)
    west.refresh_from_db()
    assert west.retired_at is None
    assert api_as(admin.user).post(url(slug, "branches", west.pk, "retire"), {}, format="json").status_code == 200
    # another community's branch id under this community's address is not found
    other = MembershipFactory(role="owner")
    foreign = make_branch(other, "Elsewhere")
    assert_error(api_as(owner.user).post(url(slug, "branches", foreign.pk, "retire"), {}, format="json"), 404)


def test_a_member_list_sync_sees_role_changes_and_branch_moves(api_as, owner, branches):
    from datetime import timedelta

    from django.utils import timezone

    community = owner.community
    Membership.objects.filter(community=community).update(updated_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    client = api_as(owner.user)
    assert client.get(url(community.slug, "members"), {"updated_since": since}).json()["results"] == []
    services.branch_retire(actor=owner, branch=branches["east"], move_to=branches["west"])
    changed = client.get(url(community.slug, "members"), {"updated_since": since, "ordering": "updated_at"}).json()
    ids = {row["id"] for row in changed["results"]}
    assert branches["member"].pk in ids and branches["lead"].pk in ids and owner.pk not in ids
    assert_error(client.get(url(community.slug, "members"), {"ordering": "password"}), 400, fields=["ordering"])
