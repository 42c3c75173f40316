"""A member who opens a round is counted once as having seen it (the top of the analytics funnel):
the round page and the API's round detail record it; a second view, or two at the same instant,
store nothing more; strangers, non-members and the live-progress partial store nothing."""

import pytest
from django.urls import reverse

from communities.models import Membership, Role
from orders.models import RoundView
from orders.seen import round_seen
from tests.concurrency import run_at_once
from tests.factories import CommunityFactory, MembershipFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    community = CommunityFactory()
    owner = MembershipFactory(community=community, role=Role.OWNER, user=UserFactory())
    member = MembershipFactory(community=community, role=Role.MEMBER, user=UserFactory())
    return {"community": community, "owner": owner, "member": member, "round": make_group_buy(owner)}


def views(round_):
    return list(RoundView.objects.filter(group_buy=round_).values_list("member_id", flat=True))


def page(shop):
    return reverse("orders:group_buy", args=[shop["community"].slug, shop["round"].pk])


def test_opening_the_page_twice_counts_once(client, shop):
    client.force_login(shop["member"].user)
    assert client.get(page(shop)).status_code == 200
    first = RoundView.objects.get(group_buy=shop["round"]).first_seen_at
    assert client.get(page(shop)).status_code == 200
    assert views(shop["round"]) == [shop["member"].user_id]
    assert RoundView.objects.get(group_buy=shop["round"]).first_seen_at == first
    assert RoundView.objects.get(group_buy=shop["round"]).community_id == shop["community"].pk


def test_an_owner_viewing_counts_too(client, shop):
    client.force_login(shop["owner"].user)
    assert client.get(page(shop)).status_code == 200
    assert views(shop["round"]) == [shop["owner"].user_id]


def test_the_api_round_detail_counts_once(client, shop):
    client.force_login(shop["member"].user)
    url = reverse("api-group-buy", args=[shop["community"].slug, shop["round"].pk])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    assert views(shop["round"]) == [shop["member"].user_id]


def test_the_live_progress_partial_records_nothing(client, shop):
    client.force_login(shop["member"].user)
    url = reverse("orders:group_buy_live", args=[shop["community"].slug, shop["round"].pk])
    assert client.get(url).status_code == 200
    assert views(shop["round"]) == []


def test_strangers_and_people_who_left_record_nothing(client, shop):
    stranger = UserFactory()
    client.force_login(stranger)
    client.get(page(shop))  # the public preview of a shared round
    client.logout()
    client.get(page(shop))
    assert views(shop["round"]) == []
    other = MembershipFactory(community=CommunityFactory(), role=Role.MEMBER, user=UserFactory())
    assert round_seen(membership=other, group_buy=shop["round"]) is False
    Membership.objects.filter(pk=shop["member"].pk).update(status=Membership.Status.LEFT,
                                                           left_at=shop["round"].opens_at)
    shop["member"].refresh_from_db()
    assert round_seen(membership=shop["member"], group_buy=shop["round"]) is False
    assert round_seen(membership=None, group_buy=shop["round"]) is False
    assert views(shop["round"]) == []


@pytest.mark.django_db(transaction=True)
def test_two_first_views_at_the_same_instant_store_one_row(shop):
    results = run_at_once(2, lambda i: round_seen(membership=shop["member"], group_buy=shop["round"]))
    assert sorted(results) == [False, True]  # neither raised; one stored
    assert views(shop["round"]) == [shop["member"].user_id]
